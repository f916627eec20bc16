"""The batched usage writer: rows reach the ledger, nothing is lost on a failing database or at
shutdown, memory stays bounded, and a usage report sees what was queued before it."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from lockgate.models import ApiKey, UsageKind, UsageOutcome, UsageRecord
from lockgate.state import AppState
from lockgate.usage.service import usage_values
from lockgate.usage.writer import UsageWriter
from tests.fixtures.appkit import ApiClient


def row(state: AppState, user_id: uuid.UUID | None, cost: str = "0.001") -> dict[str, Any]:
    return usage_values(
        user_id=user_id,
        kind=UsageKind.CHAT,
        provider="simulated",
        model="sim-small",
        outcome=UsageOutcome.OK,
        created_at=state.clock(),
        input_tokens=3,
        output_tokens=4,
        cost_usd=Decimal(cost),
    )


async def ledger(state: AppState) -> tuple[int, Decimal]:
    async with state.sessionmaker() as db:
        count, total = (
            await db.execute(select(func.count(), func.sum(UsageRecord.cost_usd)))
        ).one()
    return count, Decimal(total or 0)


async def test_rows_are_written_in_one_batch_on_flush(state: AppState) -> None:
    writer = UsageWriter(state.engine, interval=3600)
    for _ in range(250):
        writer.add(row(state, None))
    assert writer.pending == 250
    assert await ledger(state) == (0, Decimal(0))  # nothing written on the request path
    await writer.flush()
    assert writer.pending == 0
    assert await ledger(state) == (250, Decimal("0.25"))


async def test_the_background_task_writes_when_a_batch_is_full(state: AppState) -> None:
    writer = UsageWriter(state.engine, interval=3600, batch=10)
    writer.start()
    try:
        for _ in range(10):
            writer.add(row(state, None))
        for _ in range(500):  # bounded: the batch wakes the writer at once
            if (await ledger(state))[0] == 10:
                break
            await asyncio.sleep(0.01)
        assert await ledger(state) == (10, Decimal("0.010"))
    finally:
        await writer.aclose()


async def test_shutdown_writes_what_is_left(state: AppState) -> None:
    writer = UsageWriter(state.engine, interval=3600)
    writer.start()
    for _ in range(7):
        writer.add(row(state, None))
    await writer.aclose()
    assert await ledger(state) == (7, Decimal("0.007"))


class Failing:
    """An engine whose transactions fail to start `failures` times, then work."""

    def __init__(self, state: AppState, failures: int) -> None:
        self.engine = state.engine
        self.dialect = state.engine.dialect
        self.failures = failures

    def begin(self) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("INSERT", {}, Exception("database is down"))
        return self.engine.begin()


async def test_a_failing_database_keeps_the_rows_for_the_next_try(state: AppState) -> None:
    writer = UsageWriter(Failing(state, 2), interval=3600)  # type: ignore[arg-type]
    for _ in range(5):
        writer.add(row(state, None))
    for _ in range(2):
        with pytest.raises(OperationalError):
            await writer.flush()
        assert writer.pending == 5
    await writer.flush()
    assert await ledger(state) == (5, Decimal("0.005"))


async def test_pending_rows_are_bounded(state: AppState) -> None:
    writer = UsageWriter(state.engine, interval=3600, max_pending=3)
    for cost in ("1", "2", "3", "4", "5"):
        writer.add(row(state, None, cost))
    assert (writer.pending, writer.dropped) == (3, 2)
    await writer.flush()
    assert await ledger(state) == (3, Decimal(12))  # the newest three


async def test_key_stamps_are_batched_newest_wins(client: ApiClient, state: AppState) -> None:
    await client.register("stamps@example.com")
    created = await client.post("/api/v1/keys", json={"name": "k"})
    key_id = uuid.UUID(created.json()["id"])
    writer = UsageWriter(state.engine, interval=3600)
    first = state.clock()
    writer.touch(key_id, first)
    later = first.replace(year=first.year + 1)
    writer.touch(key_id, later)
    await writer.flush()
    async with state.sessionmaker() as db:
        stamped = (await db.execute(select(ApiKey.last_used_at))).scalar_one()
    assert stamped is not None
    assert stamped.replace(tzinfo=None) == later.replace(tzinfo=None)


async def test_a_usage_report_includes_rows_still_queued(
    client: ApiClient, state: AppState
) -> None:
    me = uuid.UUID((await client.register("queued@example.com"))["user"]["id"])
    assert state.usage_writer is not None
    state.usage_writer.add(row(state, me, "0.5"))
    report = (await client.get("/api/v1/usage")).json()
    assert Decimal(report["total_cost_usd"]) == Decimal("0.5")
