"""The documents' vectors: one record per chunk, tagged with its owner, conversation and document.

Every search carries the owner *and* the conversation as tags, and tags are pre-filters in both
indexes (`lockgate.vectors.base.VectorIndex`): another user's chunk is never a candidate,
whatever its similarity. Records do not expire (``NEVER``); they leave with their document
(`forget_document`) or conversation (`forget_conversation`)::

    await index.add(owner, conversation, document, [(chunk_id, text), …])
    await index.search(owner, conversation, "what did Q3 cost?", k=5, min_similarity=0.25)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lockgate.vectors.base import NO_EXPIRY, Embedder, Match, Record, VectorIndex

if TYPE_CHECKING:  # Vector at run time imports numpy (vectors/base.py)
    from lockgate.vectors.base import Vector

NEVER = NO_EXPIRY  # passages leave with their document, never by expiry
BATCH = 32
NAMESPACE = "documents"
# A record of no document, in every store that holds ours: a store without it lost (or never
# had) the passages' vectors, e.g. a cache Redis that restarted (`DocumentIndexer.check_store`).
MARKER_ID = "lockgate-documents-marker"
MARKER_TAGS = {"marker": "documents"}


class DocumentIndex:
    def __init__(self, embedder: Embedder, index: VectorIndex) -> None:
        self.embedder = embedder
        self.index = index

    async def add(
        self,
        owner: uuid.UUID,
        conversation: uuid.UUID,
        document: uuid.UUID,
        chunks: Sequence[tuple[uuid.UUID, str]],
    ) -> None:
        """Embed and store, a batch at a time (re-adding a chunk replaces it: idempotent)."""
        tags = {"owner": str(owner), "conversation": str(conversation), "document": str(document)}
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start : start + BATCH]
            vectors = await self.embedder.embed([text for _, text in batch])
            await self.index.add(
                [
                    Record(str(chunk_id), vector, tags, NEVER)
                    for (chunk_id, _), vector in zip(batch, vectors, strict=True)
                ]
            )

    async def search(
        self,
        owner: uuid.UUID,
        conversation: uuid.UUID,
        question: str,
        *,
        k: int,
        min_similarity: float,
        now: float,
    ) -> list[Match]:
        [vector] = await self.embedder.embed([question])
        return await self.index.search(
            vector,
            tags={"owner": str(owner), "conversation": str(conversation)},
            k=k,
            now=now,
            min_similarity=min_similarity,
        )

    async def forget_document(self, document: uuid.UUID) -> int:
        return await self.index.delete_where({"document": str(document)})

    async def forget_conversation(self, conversation: uuid.UUID) -> int:
        return await self.index.delete_where({"conversation": str(conversation)})

    async def holds_marker(self, now: float) -> bool:
        found = await self.index.search(self._probe(), tags=MARKER_TAGS, k=1, now=now)
        return bool(found)

    async def put_marker(self) -> None:
        await self.index.add([Record(MARKER_ID, self._probe(), MARKER_TAGS, NEVER)])

    def _probe(self) -> Vector:
        import numpy as np  # here: only an app with documents on loads numpy

        probe = np.zeros(self.embedder.dimension, dtype=np.float32)
        probe[0] = 1.0
        return probe
