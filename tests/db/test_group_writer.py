"""The group writer commits many callers' jobs in one transaction, answers each only once its job
is committed, keeps one job's failure to its own caller, keeps submission order, and lets a
caller cancelled before its job started withdraw it (on both databases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.db.writer import GroupWriter, WriterClosed


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    maker = create_sessionmaker(engine)
    key = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    async with maker() as db:
        await db.execute(
            text(f"CREATE TABLE writer_t (id {key} PRIMARY KEY, n INTEGER NOT NULL UNIQUE)")
        )
        await db.commit()
    yield maker
    await engine.dispose()


def insert(n: int) -> Callable[[AsyncSession], Awaitable[int]]:
    async def job(db: AsyncSession) -> int:
        await db.execute(text("INSERT INTO writer_t (n) VALUES (:n)"), {"n": n})
        return n

    return job


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as db:
        return list((await db.scalars(text("SELECT n FROM writer_t ORDER BY id"))).all())


async def test_concurrent_jobs_share_one_transaction_and_are_committed_when_answered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = GroupWriter(sessions)
    results = await asyncio.gather(*(writer.write(insert(n)) for n in range(50)))
    assert results == list(range(50))
    assert sorted(await stored(sessions)) == list(range(50))  # visible to another session
    assert writer.stats.jobs == 50
    assert writer.stats.batches == 1  # submitted together: one transaction, one write lock
    await writer.aclose()


async def test_a_failing_job_fails_only_its_caller(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = GroupWriter(sessions)
    jobs = [insert(1), insert(2), insert(1), insert(3)]  # the second 1 breaks UNIQUE
    outcomes = await asyncio.gather(*(writer.write(j) for j in jobs), return_exceptions=True)
    assert outcomes[:2] == [1, 2]
    assert isinstance(outcomes[2], Exception)
    assert outcomes[3] == 3
    assert sorted(await stored(sessions)) == [1, 2, 3]
    assert writer.stats.retried_alone == 4
    await writer.aclose()


async def test_jobs_are_committed_in_submission_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = GroupWriter(sessions, max_batch=3)  # several transactions
    await asyncio.gather(*(writer.write(insert(n)) for n in (5, 3, 9, 1, 7, 2, 8)))
    assert await stored(sessions) == [5, 3, 9, 1, 7, 2, 8]
    assert writer.stats.batches == 3
    await writer.aclose()


async def test_a_caller_cancelled_before_its_job_started_withdraws_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = GroupWriter(sessions)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(db: AsyncSession) -> int:
        started.set()
        await release.wait()
        return await insert(1)(db)

    first = asyncio.create_task(writer.write(slow))
    await started.wait()  # the writer is inside the first batch
    second = asyncio.create_task(writer.write(insert(2)))
    await asyncio.sleep(0)  # let it queue (a scheduling step, not a wait for time)
    assert writer.waiting() == 1
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    assert await first == 1
    await writer.aclose()
    assert await stored(sessions) == [1]  # the withdrawn job never ran


async def test_a_caller_cancelled_mid_job_waits_for_the_outcome(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = GroupWriter(sessions)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(db: AsyncSession) -> int:
        started.set()
        await release.wait()
        return await insert(4)(db)

    write = writer.submit(slow)
    caller = asyncio.create_task(writer.outcome(write))
    await started.wait()
    caller.cancel()
    await asyncio.sleep(0)
    assert not caller.done()  # still waiting for the job it cannot take back
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert write.committed
    assert await stored(sessions) == [4]
    await writer.aclose()


async def test_close_writes_what_is_queued(sessions: async_sessionmaker[AsyncSession]) -> None:
    writer = GroupWriter(sessions)
    writes = [writer.submit(insert(n)) for n in range(5)]
    await writer.aclose()
    assert all(w.committed for w in writes)
    assert sorted(await stored(sessions)) == list(range(5))
    with pytest.raises(WriterClosed):
        writer.submit(insert(9))
