"""Matching by meaning: the long-lived half of search (the embedder, the index, the indexer).

Built once by the lifespan (`lockgate.search.factory`) and kept in the State as
``state.search``; None when ``search.semantic`` is off, and search is then by words only.

A query is embedded (paid by the asker with a configured model) and its nearest passages are
looked up under the asker's own ``owner`` tag, so another user's vectors are never candidates;
a message counts once, by its best passage, and only above the similarity floor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lockgate.observability.logging import get_logger
from lockgate.search.indexer import Payer, SearchIndexer, message_of
from lockgate.vectors.base import Embedder, VectorIndex
from lockgate.vectors.errors import VectorStoreUnavailable

log = get_logger("lockgate.search")

PASSAGES_PER_QUERY = 200


@dataclass(frozen=True, slots=True)
class MeaningMatch:
    message_id: uuid.UUID
    passage: int
    similarity: float


class MessageSearch:
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        indexer: SearchIndexer,
        *,
        min_similarity: float,
        payer: Payer,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.indexer = indexer
        self.min_similarity = min_similarity
        self._payer = payer

    async def nearest(
        self, user_id: uuid.UUID, text: str, *, limit: int, now: float
    ) -> list[MeaningMatch]:
        """The user's messages closest in meaning to ``text``, best first, at most ``limit``."""
        with self._payer(user_id):
            (vector,) = await self.embedder.embed([text])
        found = await self.index.search(
            vector,
            tags={"owner": str(user_id)},
            k=PASSAGES_PER_QUERY,
            now=now,
            min_similarity=self.min_similarity,
        )
        best: dict[uuid.UUID, MeaningMatch] = {}
        for match in found:
            parsed = message_of(match.id)
            if parsed is None:
                continue
            message_id, passage = parsed
            if message_id not in best:  # matches come best first
                best[message_id] = MeaningMatch(message_id, passage, match.similarity)
                if len(best) == limit:
                    break
        return list(best.values())

    async def forget_conversation(self, conversation_id: uuid.UUID) -> None:
        """Remove a deleted conversation's vectors. A store that is down leaves orphans, which
        no search returns (hits are resolved in the database under their owner)."""
        try:
            await self.index.delete_where({"conversation": str(conversation_id)})
        except VectorStoreUnavailable as exc:
            log.warning("search_forget_failed", conversation=str(conversation_id), error=str(exc))

    async def forget_user(self, user_id: uuid.UUID) -> None:
        """Remove every vector of a user (their index is rebuilt by the next sweep)."""
        await self.index.delete_where({"owner": str(user_id)})

    async def forget_orphans(self, ids: list[str]) -> None:
        """Vectors whose message is gone (deleted while the store was down): drop them."""
        try:
            await self.index.delete(ids)
        except VectorStoreUnavailable as exc:
            log.warning("search_orphans_kept", records=len(ids), error=str(exc))

    async def aclose(self) -> None:
        await self.indexer.aclose()
