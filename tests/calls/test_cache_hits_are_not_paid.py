"""A cache hit is not a paid call, whatever the entry point and the gate store.

The cached entry points (chat send, ``/v1`` chat streamed and not) against the memory gate and
the Redis gate, with the tap of `test_paid_entry_points`: the first call is admitted, called and
settled; the same call again is answered with no admission, no provider call and no settlement,
and its usage row is a ``cache_hit`` of cost 0 that names what it saved. A spent budget refuses
new questions but not an answer already paid for (a hit spends nothing).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import UsageOutcome, UsageRecord
from lockgate.settings import CacheConfig
from tests.calls import test_paid_entry_points as paid

CACHED = {
    "chat_send": paid.chat_send,
    "v1_chat": paid.v1_chat,
    "v1_chat_streamed": paid.v1_chat_streamed,
}
store = paid.store  # the memory gate and the Redis gate


async def hits(world: paid.World) -> list[UsageRecord]:
    await world.state.usage_writer.flush()
    async with world.state.sessionmaker() as db:
        rows = await db.scalars(
            select(UsageRecord).where(UsageRecord.outcome == UsageOutcome.CACHE_HIT)
        )
        return list(rows.all())


@pytest.mark.parametrize("entry", list(CACHED))
async def test_a_cache_hit_reserves_calls_and_settles_nothing(
    entry: str,
    store: str | None,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = CACHED[entry]
    cached = paid.file_config(entry).model_copy(
        update={"cache": CacheConfig(enabled=True, semantic=False)}
    )
    monkeypatch.setattr(paid, "file_config", lambda _entry: cached)
    async with AsyncExitStack() as stack:
        world = await paid.build(stack, entry, store, tmp_path, clock, monkeypatch)
        tap = world.tap

        assert await call(world) is None  # paid: admitted, called, settled
        paid.rows_match_attempts(await paid.ledger(world), tap)
        cost = (await paid.ledger(world))[0].cost_usd

        tap.events.clear()
        assert await call(world) is None  # the same call: a hit
        assert tap.names() == []
        [hit] = await hits(world)
        assert (hit.cost_usd, hit.saved_usd, hit.provider) == (Decimal(0), cost, "cache")

        await paid.spend_everything(world, entry)  # the payer's budget is spent
        tap.events.clear()
        assert await call(world) is None  # an answer already paid for is still served
        assert tap.names() == []
        assert len(await hits(world)) == 2
