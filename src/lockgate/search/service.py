"""Search over a user's own messages: words and meaning, fused, a page at a time.

Both lists are bounded (``CANDIDATES`` each); the fused ranking is paged by an offset in an opaque
cursor, so a deeper page is a new search (results may shift if messages arrive meanwhile, as
with any search engine). Meaning is best effort: when the embedding model or the vector store
fails, or a configured model's budget refuses the call, the page says ``meaning: unavailable``
and holds the words' hits.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.errors import AppError
from lockgate.inputs import StrictInt
from lockgate.observability.logging import get_logger
from lockgate.search.chunks import MAX_PASSAGES, passages
from lockgate.search.fusion import fuse
from lockgate.search.indexer import record_id
from lockgate.search.meaning import MeaningMatch, MessageSearch
from lockgate.search.repository import Found, SearchRepository
from lockgate.search.schemas import Highlight, Meaning, MessageHit, SearchPage
from lockgate.search.words import Query, rank_key, snippet

log = get_logger("lockgate.search")

CANDIDATES = 100
WORD_CANDIDATES = 500  # the newest messages holding a word, ranked here; the best 100 are kept
MAX_OFFSET = 2 * CANDIDATES
WEIGHTS = {"words": 1.0, "meaning": 0.9}


class SearchService:
    def __init__(self, db: AsyncSession, clock: Clock, search: MessageSearch | None) -> None:
        self.db = db
        self.clock = clock
        self.search = search
        self.repo = SearchRepository(db)

    async def messages(
        self, user_id: uuid.UUID, text: str, *, limit: int, cursor: str | None
    ) -> SearchPage:
        offset = decode_cursor(cursor, o=StrictInt)["o"] if cursor else 0
        offset = max(0, min(offset, MAX_OFFSET))
        query = Query.parse(text)
        by_words = await self._by_words(user_id, query)
        meaning, by_meaning = await self._by_meaning(user_id, query)
        fused = fuse(
            {
                "words": [f.message_id for f in by_words],
                "meaning": [m.message_id for m in by_meaning],
            },
            WEIGHTS,
        )
        found = {f.message_id: f for f in by_words}
        missing = [m.message_id for m in by_meaning if m.message_id not in found]
        found.update(await self.repo.owned(user_id, missing))
        orphans = [mid for mid in missing if mid not in found]
        if orphans and self.search is not None:
            await self.search.forget_orphans(
                [record_id(mid, n) for mid in orphans for n in range(MAX_PASSAGES)]
            )
        fused = [(mid, score) for mid, score in fused if mid in found]
        page = fused[offset : offset + limit]
        more = offset + limit < len(fused)
        word_ids = {f.message_id for f in by_words}
        meanings = {m.message_id: m for m in by_meaning}
        items = [
            _hit(found[mid], score, query, mid in word_ids, meanings.get(mid))
            for mid, score in page
        ]
        next_cursor = encode_cursor(o=offset + limit) if more else None
        return SearchPage(items=items, next_cursor=next_cursor, meaning=meaning)

    async def _by_words(self, user_id: uuid.UUID, query: Query) -> list[Found]:
        rows = await self.repo.by_words(user_id, query.words, limit=WORD_CANDIDATES)
        ranked = [(key, row) for row in rows if (key := rank_key(query, row.content)) is not None]
        # Python's sort is stable: equal keys keep the database's newest-first order.
        ranked.sort(key=lambda pair: pair[0], reverse=True)
        return [row for _, row in ranked[:CANDIDATES]]

    async def _by_meaning(
        self, user_id: uuid.UUID, query: Query
    ) -> tuple[Meaning, list[MeaningMatch]]:
        if self.search is None:
            return "off", []
        if not query.phrase:
            return "used", []
        try:
            matches = await self.search.nearest(
                user_id, query.phrase, limit=CANDIDATES, now=self.clock().timestamp()
            )
        except AppError as exc:  # the model, the store, or a budget: words only, said so
            log.warning("search_meaning_unavailable", error=exc.message, code=exc.code)
            return "unavailable", []
        return "used", matches


def _hit(
    found: Found, score: float, query: Query, by_words: bool, meaning: MeaningMatch | None
) -> MessageHit:
    text = found.content
    if not by_words and meaning is not None:
        parts = passages(found.content)
        if meaning.passage < len(parts):
            text = parts[meaning.passage]
    terms = list(query.words)
    if query.phrase and len(query.words) > 1:
        terms.append(query.phrase)
    cut = snippet(text, terms)
    matched_by: list[Literal["words", "meaning"]] = []
    if by_words:
        matched_by.append("words")
    if meaning is not None:
        matched_by.append("meaning")
    return MessageHit(
        conversation_id=found.conversation_id,
        conversation_title=found.title,
        archived=found.archived,
        message_id=found.message_id,
        role=found.role,
        created_at=found.created_at,
        snippet=cut.text,
        highlights=[Highlight(start=s, end=e) for s, e in cut.marks],
        matched_by=matched_by,
        similarity=round(meaning.similarity, 4) if meaning else None,
        score=round(score, 6),
    )
