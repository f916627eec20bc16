"""One writer that commits the chat path's writes in groups: one transaction for many messages.

Every chat message writes twice (its user message and reply placeholder; the reply's final state
with its usage rows), and a live reply's growing text now and then. Each write in a transaction
of its own meant, on SQLite, taking the database's one write lock 2-3 times per message, each
time held across several event-loop round trips (one per statement), while the other writers
waited in SQLite's busy handler (sleeps of up to 100 ms): measured in issue 16, ~86 % of the
database threads' time was that wait, and past ~65 msg/s answers took seconds.

Here a write is a *job*: an async function of a session that adds or changes rows and returns
what its caller needs. Jobs are queued; one task takes everything waiting, runs it in ONE
transaction (``BEGIN IMMEDIATE`` once on SQLite), commits once, then answers each caller. While a
batch is being written the next one gathers, so the number of transactions per second stays
small whatever the load and a batch grows with it (group commit). Nothing else on the chat path
competes for the lock, so a batch never waits in the busy handler. On PostgreSQL the same
grouping saves a commit (and its WAL flush) per job.

Guarantees:

* **A job's answer means it is committed** (``write`` returns only after the commit).
* **One job's failure is its own**: a batch that fails is rolled back and each of its jobs is run
  again alone, so only the failing job's caller gets the error. A job may therefore run twice;
  each must read what it needs inside the job (as they do: the database is the truth).
* **Order**: jobs are committed in the order they were submitted (a reply's partial text is
  never written after its final state).
* **A caller that is cancelled** before its job started withdraws it (it never runs); once it
  started, the caller waits for the outcome and then sees the cancellation, so cleanup code
  always knows whether the rows exist (`Write.committed`).

Example::

    writer = GroupWriter(sessionmaker)
    reply_id = await writer.write(lambda db: save_reply(db, text))
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.errors import ServiceUnavailable
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.db")
T = TypeVar("T")
Job = Callable[[AsyncSession], Awaitable[T]]
# A batch larger than this is split: a transaction's length (and the first caller's wait) stays
# bounded when thousands of jobs arrive at once.
MAX_BATCH = 256


class WriterClosed(ServiceUnavailable):
    """A write arrived after shutdown began (a request that outlived the server's drain):
    refused with 503 and nothing saved, so the client's retry (on another server) is safe."""

    code = "draining"
    message = "This server is shutting down; nothing was saved. Send it again."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "2"})


@dataclass(eq=False)
class Write(Generic[T]):
    """One queued job and its outcome."""

    job: Job[T]
    future: asyncio.Future[T]
    started: bool = False

    @property
    def committed(self) -> bool:
        return self.future.done() and not self.future.cancelled() and not self.future.exception()


@dataclass
class WriterStats:
    """What the writer did (tests, the bench): transactions, jobs, the largest batch, and the
    time transactions were open (on SQLite, the write lock's hold)."""

    batches: int = 0
    jobs: int = 0
    largest: int = 0
    retried_alone: int = 0
    held_seconds: float = 0.0


class GroupWriter:
    """Commits queued jobs in groups, one transaction per group (module docstring)."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, max_batch: int = MAX_BATCH
    ) -> None:
        self._sessionmaker = sessionmaker
        self._max_batch = max_batch
        self._queue: deque[Write[Any]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.stats = WriterStats()

    def submit(self, job: Job[T]) -> Write[T]:
        """Queue ``job``; its ``future`` answers once the job is committed (or failed)."""
        if self._closed:
            raise WriterClosed()
        write: Write[T] = Write(job, asyncio.get_running_loop().create_future())
        self._queue.append(write)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-writer")
        return write

    async def write(self, job: Job[T]) -> T:
        """Run ``job`` in the next group's transaction and return its answer once committed."""
        return await self.outcome(self.submit(job))

    async def outcome(self, write: Write[T]) -> T:
        """Wait for a submitted job. Cancelled before it started: withdrawn (never runs);
        after: waits until it is committed or failed, then re-raises the cancellation."""
        try:
            return await asyncio.shield(write.future)
        except asyncio.CancelledError:
            if not write.started:
                with contextlib.suppress(ValueError):
                    self._queue.remove(write)
                write.future.cancel()
                raise
            with contextlib.suppress(Exception):
                await asyncio.shield(write.future)
            raise

    def waiting(self) -> int:
        return len(self._queue)

    async def aclose(self) -> None:
        """Write what is queued, then stop (the lifespan, after the last reply)."""
        self._closed = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            await task
        while self._queue:
            await self._write_batch()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            while self._queue:
                await self._write_batch()
            if self._closed:
                return
            await self._wake.wait()

    async def _write_batch(self) -> None:
        batch: list[Write[Any]] = []
        while self._queue and len(batch) < self._max_batch:
            write = self._queue.popleft()
            if not write.future.done():  # a withdrawn one is skipped
                write.started = True
                batch.append(write)
        if not batch:
            return
        try:
            results = await self._transaction([w.job for w in batch])
        except asyncio.CancelledError:  # the writer itself stopped: nobody waits forever
            for write in batch:
                write.future.cancel()
            raise
        except Exception as exc:
            if len(batch) == 1:
                _answer(batch[0], exc=exc)
                return
            log.warning("group_write_failed", jobs=len(batch), error=repr(exc))
            self.stats.retried_alone += len(batch)
            for write in batch:  # each alone: only the failing job's caller sees its error
                try:
                    (result,) = await self._transaction([write.job])
                except Exception as alone:
                    _answer(write, exc=alone)
                else:
                    _answer(write, result=result)
            return
        for write, result in zip(batch, results, strict=True):
            _answer(write, result=result)

    async def _transaction(self, jobs: list[Job[Any]]) -> list[Any]:
        started = time.perf_counter()
        try:
            async with self._sessionmaker() as db:
                results = [await job(db) for job in jobs]
                await db.commit()
                return results
        finally:
            stats = self.stats
            stats.batches += 1
            stats.jobs += len(jobs)
            stats.largest = max(stats.largest, len(jobs))
            stats.held_seconds += time.perf_counter() - started


def _answer(write: Write[Any], *, result: Any = None, exc: BaseException | None = None) -> None:
    if write.future.done():
        return
    if exc is not None:
        write.future.set_exception(exc)
        write.future.exception()  # retrieved: a withdrawn caller's failure is not "never seen"
    else:
        write.future.set_result(result)
