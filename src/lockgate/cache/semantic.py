"""The semantic layer: the same context, a last user message that means the same.

Only requests whose context is identical are compared (the vector index's tags: scope, model and
`CacheRequest.context_tag`, the hash of everything but the last user message); among them, the
nearest stored prompts above the threshold are candidates, best first, and the first one the
salience guard accepts (`cache.guard.compatible`: the same numbers, units, names, dates,
negation, in the same order) is the hit. Cosine alone is not enough: all-MiniLM-L6-v2 scores
"Convert 10 USD to EUR" against "Convert 10 EUR to USD" at 0.978.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lockgate.cache.keys import CacheRequest, tag
from lockgate.cache.store.base import Entry
from lockgate.vectors.base import Embedder, Record, VectorIndex

if TYPE_CHECKING:
    from lockgate.vectors.base import Vector

Guard = Callable[[str, str], bool]
Fetch = Callable[[str], Awaitable[Entry | None]]
CANDIDATES = 4  # nearest prompts looked at; the guard may refuse the first ones


def tags_of(request: CacheRequest) -> dict[str, str]:
    assert request.context_tag is not None  # only semantic requests reach the index
    return {
        "scope": tag(request.scope),
        "model": tag(request.model),
        "context": request.context_tag[:32],
    }


@dataclass(frozen=True, slots=True)
class SemanticHit:
    entry: Entry
    similarity: float


class SemanticLayer:
    def __init__(self, embedder: Embedder, index: VectorIndex, guard: Guard) -> None:
        self.embedder = embedder
        self.index = index
        self.guard = guard

    async def vector(self, request: CacheRequest) -> Vector:
        assert request.prompt is not None
        (vector,) = await self.embedder.embed([request.prompt])
        return vector

    async def find(
        self,
        request: CacheRequest,
        vector: Vector,
        *,
        threshold: float,
        now: float,
        fetch: Fetch,
    ) -> SemanticHit | None:
        """The best stored answer whose prompt is close enough and passes the guard."""
        assert request.prompt is not None
        matches = await self.index.search(
            vector, tags=tags_of(request), k=CANDIDATES, now=now, min_similarity=threshold
        )
        for match in matches:
            if match.similarity < threshold:
                continue
            entry = await fetch(match.id)
            if entry is None or entry.prompt is None:
                continue
            if self.guard(request.prompt, entry.prompt):
                return SemanticHit(entry, match.similarity)
        return None

    async def add(self, request: CacheRequest, entry: Entry, vector: Vector) -> None:
        record = Record(
            id=entry.id, vector=vector, tags=tags_of(request), expires_at=entry.expires_at
        )
        await self.index.add([record])

    async def forget(self, ids: list[str]) -> None:
        if ids:
            await self.index.delete(ids)
