"""The search indexer: saved messages embedded in the background, never on a request's path.

Fed by `saved` (the chat manager calls it when a question is saved and when its answer ends) into
a bounded queue; one task takes up to ``batch_size`` messages at a time, embeds their passages
(`chunks.passages`), puts the vectors in the index under the owner's tag and records each message
in ``message_embeddings`` (`SearchRepository.mark_indexed`). A full queue drops the id: nothing
is lost, because the database is the memory, not the queue.

The sweep (`backfill`, at start-up and every ``sweep_seconds``) pages through searchable messages
that have no row of the current embedder: those saved while the queue was full, before a crash,
on a replica that died, by an import, or before search existed. A row of another embedder is
stale (its vectors cannot be compared with the current model's), so a new model re-indexes
everything by itself.

The vector store can lose what the database says it holds (the cache Redis keeps nothing on
restart). At start-up and before every sweep the indexer looks for its marker record; a store
without it is new, so every row is forgotten and the sweep rebuilds the index.

Tests never sleep: ``await indexer.drain()`` returns once everything fed so far is indexed (or
failed), and ``await indexer.backfill()`` once a sweep has run.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.clock import Clock
from lockgate.db.engine import reading
from lockgate.errors import AppError
from lockgate.observability.logging import get_logger
from lockgate.search.chunks import passages
from lockgate.search.repository import SearchRepository, ToIndex
from lockgate.vectors.base import NO_EXPIRY, Embedder, Record, VectorIndex

log = get_logger("lockgate.search")

FOREVER = NO_EXPIRY  # search vectors do not expire, they are deleted
MARKER_ID = "lockgate-search-marker"
MARKER_TAGS = {"marker": "search"}

Payer = Callable[[uuid.UUID | None], AbstractContextManager[None]]
"""Who pays for an embedding: ``payer(user_id)`` around the call (a configured model bills the
user through the gate; the local model costs nothing)."""


def record_id(message_id: uuid.UUID, passage: int) -> str:
    return f"{message_id}:{passage}"


def message_of(record: str) -> tuple[uuid.UUID, int] | None:
    """The message and passage of an index record id (None: not one of ours)."""
    head, _, tail = record.partition(":")
    try:
        return uuid.UUID(head), int(tail)
    except ValueError:
        return None


def unpaid(_user: uuid.UUID | None) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass
class IndexerStats:
    indexed: int = 0
    failed: int = 0
    dropped: int = 0
    sweeps: int = 0


class SearchIndexer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        embedder: Embedder,
        index: VectorIndex,
        clock: Clock,
        *,
        batch_size: int = 32,
        queue_size: int = 10_000,
        sweep_seconds: float = 300,
        payer: Payer = unpaid,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._embedder = embedder
        self._index = index
        self._clock = clock
        self._batch_size = batch_size
        self._queue: deque[uuid.UUID] = deque()
        self._queue_size = queue_size
        self._sweep_seconds = sweep_seconds
        self._payer = payer
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._sweep_wanted = False
        self._sweep_done = asyncio.Event()
        self._sweeping = False
        self._task: asyncio.Task[None] | None = None
        self.stats = IndexerStats()

    @property
    def embedder(self) -> str:
        return self._embedder.name

    async def start(self) -> None:
        """Check the store still holds what the database says, then run (first: a sweep)."""
        await self._check_marker()
        self._sweep_wanted = True
        self._idle.clear()
        self._task = asyncio.create_task(self._run(), name="search-indexer")

    def saved(self, message_id: uuid.UUID) -> None:
        """A message (or the answer to one) was saved: index it soon. Never blocks."""
        if self._task is None:
            return
        if len(self._queue) >= self._queue_size:
            self.stats.dropped += 1  # the sweep finds it: the table, not the queue, remembers
            return
        self._queue.append(message_id)
        self._idle.clear()
        self._wake.set()

    async def drain(self) -> None:
        """Return once everything fed so far (and any sweep asked for) has been handled."""
        if self._task is None:
            return
        await self._idle.wait()

    def wake_sweep(self) -> None:
        """Sweep soon for messages not indexed (after a user's index was dropped)."""
        if self._task is None:
            return
        self._sweep_wanted = True
        self._idle.clear()
        self._wake.set()

    async def backfill(self) -> None:
        """Sweep now for messages not indexed; return when the sweep has run."""
        if self._task is None:
            return
        target = self.stats.sweeps + (2 if self._sweeping else 1)
        self.wake_sweep()
        while self.stats.sweeps < target and self._task is not None:
            self._sweep_done.clear()
            await self._sweep_done.wait()
        await self.drain()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._idle.set()
        self._sweep_done.set()

    async def _run(self) -> None:
        while True:
            if not self._queue and not self._sweep_wanted:
                self._idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._sweep_seconds)
                self._wake.clear()
                if not self._queue and not self._sweep_wanted:
                    self._sweep_wanted = True  # the periodic sweep
                self._idle.clear()
            try:
                if self._queue:
                    await self._index_fed()
                elif self._sweep_wanted:
                    self._sweep_wanted = False
                    self._sweeping = True
                    try:
                        await self._sweep()
                    finally:
                        self._sweeping = False
                        self.stats.sweeps += 1
                        self._sweep_done.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not end indexing for the process
                log.exception("search_indexer_failed", error=repr(exc))

    async def _index_fed(self) -> None:
        ids = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
        async with self._sessionmaker() as db:
            await reading(db)
            rows = await SearchRepository(db).to_index_among(self.embedder, ids)
        await self._index_rows(rows)

    async def _sweep(self) -> None:
        await self._check_marker()  # a store that lost everything meanwhile is rebuilt now
        after: uuid.UUID | None = None
        while True:
            async with self._sessionmaker() as db:
                await reading(db)
                rows = await SearchRepository(db).to_index(
                    self.embedder, after=after, limit=self._batch_size
                )
            if not rows:
                return
            await self._index_rows(rows)
            after = rows[-1].message_id

    async def _index_rows(self, rows: Sequence[ToIndex]) -> None:
        """Embed and store, one owner at a time (a configured model bills each owner)."""
        by_owner: dict[uuid.UUID, list[ToIndex]] = {}
        for row in rows:
            by_owner.setdefault(row.user_id, []).append(row)
        for owner, mine in by_owner.items():
            try:
                done = await self._embed_and_add(owner, mine)
            except (AppError, SQLAlchemyError) as exc:
                self.stats.failed += len(mine)
                log.warning("search_index_failed", messages=len(mine), error=str(exc))
                continue
            try:
                async with self._sessionmaker() as db:
                    gone = await SearchRepository(db).mark_indexed(
                        done, self.embedder, self._clock()
                    )
                    await db.commit()
            except SQLAlchemyError as exc:  # the vectors stay; the next sweep rewrites them
                log.warning("search_mark_failed", messages=len(done), error=str(exc))
                continue
            if gone:  # deleted while being embedded: take their vectors back out
                await self._index.delete(
                    [
                        record_id(m.message_id, n)
                        for m, count in done
                        for n in range(count)
                        if m.message_id in gone
                    ]
                )
            self.stats.indexed += len(done) - len(gone)

    async def _embed_and_add(
        self, owner: uuid.UUID, rows: Sequence[ToIndex]
    ) -> list[tuple[ToIndex, int]]:
        texts: list[tuple[ToIndex, int, str]] = []
        for row in rows:
            texts.extend((row, n, text) for n, text in enumerate(passages(row.content)))
        records: list[Record] = []
        for start in range(0, len(texts), self._batch_size):
            part = texts[start : start + self._batch_size]
            with self._payer(owner):
                vectors = await self._embedder.embed([text for _, _, text in part])
            records.extend(
                Record(
                    record_id(row.message_id, n),
                    vector,
                    {"owner": str(row.user_id), "conversation": str(row.conversation_id)},
                    FOREVER,
                )
                for (row, n, _), vector in zip(part, vectors, strict=True)
            )
        if records:
            await self._index.add(records)
        counts = {row.message_id: 0 for row in rows}
        for row, _, _ in texts:
            counts[row.message_id] += 1
        return [(row, counts[row.message_id]) for row in rows]

    async def _check_marker(self) -> None:
        """A store without our marker lost (or never had) the vectors: re-index everything."""
        import numpy as np  # here: only an app with search by meaning on loads numpy

        probe = np.zeros(self._embedder.dimension, dtype=np.float32)
        probe[0] = 1.0
        now = self._clock().timestamp()
        found = await self._index.search(probe, tags=MARKER_TAGS, k=1, now=now)
        if found:
            return
        async with self._sessionmaker() as db:
            await SearchRepository(db).forget()
            await db.commit()
        await self._index.add([Record(MARKER_ID, probe, MARKER_TAGS, FOREVER)])
        log.info("search_index_new", embedder=self.embedder)
