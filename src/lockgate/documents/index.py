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

from lockgate.vectors.base import Embedder, Match, Record, VectorIndex

NEVER = 32_503_680_000.0  # year 3000, epoch seconds: "no expiry" in an index that needs one
BATCH = 32
NAMESPACE = "documents"


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
