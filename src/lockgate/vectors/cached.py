"""An embedder that never embeds the same text twice while it remembers it.

Peers paid an embedding call on every cache lookup; a repeated question should cost one embedding
at most. This wraps any `Embedder` with a bounded LRU keyed by the text's hash (the text itself is
not kept) and a single flight per text: concurrent requests for a text being embedded wait for
that one computation instead of starting their own::

    embedder = CachedEmbedder(LocalEmbedder(), maxsize=10_000)
    await asyncio.gather(embedder.embed(["hi"]), embedder.embed(["hi"]))   # one inner call

A failed embedding is not remembered: the waiters get the error, the next request tries again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lockgate.lru import BoundedLRU

from .base import Embedder
from .errors import EmbedderUnavailable

if TYPE_CHECKING:
    from .base import Vector

DEFAULT_SIZE = 10_000


class CachedEmbedder:
    """The `Embedder` protocol over ``inner``, with the same name and dimension."""

    def __init__(self, inner: Embedder, *, maxsize: int = DEFAULT_SIZE) -> None:
        self._inner = inner
        self._memo: BoundedLRU[bytes, Vector] = BoundedLRU(maxsize)
        self._in_flight: dict[bytes, asyncio.Task[dict[bytes, Vector]]] = {}

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def inner(self) -> Embedder:
        return self._inner

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        keys = [_key(text) for text in texts]
        found: dict[bytes, Vector] = {}
        waiting: dict[bytes, asyncio.Task[dict[bytes, Vector]]] = {}
        todo: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in found or key in waiting or key in todo:
                continue
            vector = self._memo.get(key)
            if vector is not None:
                found[key] = vector
            elif (flight := self._in_flight.get(key)) is not None:
                waiting[key] = flight
            else:
                todo[key] = text
        if todo:
            # A task of its own: a caller that is cancelled does not cancel the others' wait
            # (nor the computation, whose result is remembered for the next request).
            task = asyncio.create_task(self._compute(todo))
            task.add_done_callback(_retrieve)
            for key in todo:
                self._in_flight[key] = waiting[key] = task
        for key, flight in waiting.items():
            found[key] = (await asyncio.shield(flight))[key]
        return [found[key] for key in keys]

    async def _compute(self, todo: dict[bytes, str]) -> dict[bytes, Vector]:
        """Embed ``todo`` in one inner call and remember the vectors."""
        try:
            vectors = await self._inner.embed(list(todo.values()))
        finally:
            for key in todo:
                self._in_flight.pop(key, None)
        if len(vectors) != len(todo):
            raise EmbedderUnavailable(
                f"The embedding model {self._inner.name} returned {len(vectors)} vectors "
                f"for {len(todo)} texts"
            )
        result: dict[bytes, Vector] = {}
        for key, vector in zip(todo, vectors, strict=True):
            vector.setflags(write=False)  # shared by every caller: nobody may change it
            result[key] = self._memo.put(key, vector)
        return result


def _retrieve(task: asyncio.Task[dict[bytes, Vector]]) -> None:
    """Mark a failure as seen when every caller was cancelled before it (no asyncio warning)."""
    if not task.cancelled():
        task.exception()


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
