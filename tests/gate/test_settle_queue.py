"""Settles off the request path on the Redis store (`lockgate.gate.settle_queue`), on a real Redis:
exact under concurrency across replicas, applied once per settle id, flushed by a clean
shutdown, retried through an outage, and a crash's reservation reclaimed by its lease.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis

from lockgate.clock import FakeClock
from lockgate.gate import Gate, GateConfig, Ticket
from lockgate.gate.breaker import BreakerState
from lockgate.gate.budget import spend_units
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.settle_queue import SettleJob
from lockgate.gate.store_redis import RedisGateStore
from tests.fixtures.fake_time import FakeTime, until
from tests.fixtures.redis import RedisServer

USER = uuid.UUID(int=11)
CONFIG = GateConfig.model_validate(
    {
        "budgets": {"users": {"daily_usd": "1"}, "lease_seconds": 30},
        "breaker": {"consecutive_failures": 2, "cooldown_seconds": 10},
        "providers": {"openai": {"max_concurrent": 64, "max_queue": 0}},
    }
)


class Replicas:
    """Gates as separate replicas (one Redis client each) whose settles are deferred."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        self.url = url
        self.clock = clock
        self.time = FakeTime()
        self.clients: list[Redis] = []
        self.gates: list[Gate] = []

    def __call__(self, *, defer: bool = True) -> Gate:
        redis = create_redis(self.url)
        self.clients.append(redis)
        gate = build_gate(CONFIG, ["openai"], redis=redis, clock=self.clock)
        store = gate.redis_gate
        assert store is not None
        if defer:
            store.defer_settles(sleep=self.time.sleep, monotonic=self.time.monotonic)
        self.gates.append(gate)
        return gate

    async def aclose(self) -> None:
        for gate in self.gates:
            await gate.aclose()
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def replicas(redis_url: str, clock: FakeClock) -> AsyncIterator[Replicas]:
    built = Replicas(redis_url, clock)
    yield built
    await built.aclose()


def store_of(gate: Gate) -> RedisGateStore:
    store = gate.redis_gate
    assert store is not None
    assert store.settles is not None
    return store


async def admit(gate: Gate, amount: Decimal) -> Ticket:
    return await gate.admit("openai", user_id=USER, upper_bound=amount, tokens=10)


async def spend(gate: Gate) -> tuple[Decimal, Decimal]:
    """(spent, reserved) of the user's daily budget, read through ``gate``."""
    (limit,) = gate.budget_limits("openai", USER)
    status = await gate.budgets.status(limit)
    return status.spent_usd, status.reserved_usd


async def test_a_settle_returns_before_redis_is_asked_and_lands_exactly(
    replicas: Replicas,
) -> None:
    gate = replicas()
    ticket = await admit(gate, Decimal("0.2"))
    await ticket.succeeded(Decimal("0.07"))
    queued = store_of(gate).settles
    assert queued is not None
    pending_at_return = queued.pending
    await gate.settled()
    in_flight = (await gate.backpressure.snapshot("openai")).in_flight
    assert (pending_at_return, await spend(gate), in_flight) == (
        1,
        (Decimal("0.07"), Decimal(0)),
        0,
    )


async def test_concurrent_calls_on_two_replicas_never_overspend_and_settle_exactly(
    replicas: Replicas,
) -> None:
    """80 calls of up to $0.05 each against a $1 budget, on two replicas at once, each settling
    $0.03 through its queue: the budget never goes over, and what lands is exactly the sum of
    the admitted calls' costs, nothing reserved left behind."""
    first, second = replicas(), replicas()
    admitted: list[Ticket] = []

    async def call(gate: Gate) -> None:
        try:
            ticket = await admit(gate, Decimal("0.05"))
        except Exception:
            return
        admitted.append(ticket)
        await asyncio.sleep(0)
        await ticket.succeeded(Decimal("0.03"))

    await asyncio.gather(*(call(first if i % 2 else second) for i in range(80)))
    await first.settled()
    await second.settled()
    spent, reserved = await spend(first)
    assert (spent, reserved, spent <= Decimal(1)) == (
        Decimal("0.03") * len(admitted),
        Decimal(0),
        True,
    )
    assert len(admitted) >= 20  # the budget was the limit, not the queue


async def test_a_settle_sent_twice_counts_once_in_the_budget_and_the_breaker(
    replicas: Replicas,
) -> None:
    """What a retried batch whose reply was lost does: the same settle (same id) arrives twice."""
    gate = replicas()
    store = store_of(gate)
    ticket = await admit(gate, Decimal("0.2"))
    permit, reservation = ticket.permit, ticket.reservation
    permit.mark_settled()
    command = store.scripts.settle_command(
        "openai",
        "openai",
        reservation,
        spend_units(Decimal("0.0007")),
        permit,
        False,
        ticket.lease,
        ticket.id,
    )
    landed: list[Any] = []

    async def done(raw: Any) -> None:
        landed.append(raw)

    queue = store.settles
    assert queue is not None
    for _ in range(2):
        queue.submit(SettleJob(command, done=done, failed=lambda exc: None))
    await gate.settled()
    state = await gate.breaker.state("openai")
    # two failures would open it (consecutive_failures=2): one was counted
    assert (len(landed), await spend(gate), state.state) == (
        2,
        (Decimal("0.0007"), Decimal(0)),
        BreakerState.CLOSED,
    )


async def test_a_clean_shutdown_flushes_every_queued_settle(
    replicas: Replicas, redis_url: str, clock: FakeClock
) -> None:
    gate = replicas()
    tickets = [await admit(gate, Decimal("0.02")) for _ in range(30)]
    for ticket in tickets:
        await ticket.succeeded(Decimal("0.01"))
    await gate.aclose()  # what the lifespan does at shutdown
    reader = replicas(defer=False)  # another replica, reading what landed
    assert await spend(reader) == (Decimal("0.30"), Decimal(0))


async def test_a_settle_queued_during_an_outage_lands_once_redis_is_back(
    replicas: Replicas, redis_server: RedisServer
) -> None:
    gate = replicas()
    ticket = await admit(gate, Decimal("0.2"))
    redis_server.pause()
    try:
        await ticket.succeeded(Decimal("0.04"))
        queue = store_of(gate).settles
        assert queue is not None
        await until(lambda: bool(replicas.time.sleepers))  # the first send failed: backing off
    finally:
        redis_server.resume()  # an empty data set: the reservation is gone, the spend is not
    while queue.pending:
        replicas.time.advance(5)
        await asyncio.sleep(0.01)
    await gate.settled()
    assert await spend(gate) == (Decimal("0.04"), Decimal(0))


async def test_a_crash_with_settles_pending_is_covered_by_the_reservation_lease(
    replicas: Replicas, clock: FakeClock
) -> None:
    """The replica dies with its settle never sent: the reservation holds the budget only until
    its lease ends, then the next call has the whole budget again."""
    crashed, survivor = replicas(), replicas()
    await admit(crashed, Decimal("0.9"))  # admitted; its settle never reaches Redis
    with pytest.raises(Exception, match="budget"):
        await admit(survivor, Decimal("0.5"))
    clock.advance(seconds=CONFIG.budgets.lease_seconds + 1)
    ticket = await admit(survivor, Decimal("0.5"))
    await ticket.succeeded(Decimal("0.5"))
    await survivor.settled()
    assert await spend(survivor) == (Decimal("0.5"), Decimal(0))


async def test_an_admit_sees_the_settles_its_process_queued_before_it(
    replicas: Replicas,
) -> None:
    """An upstream reported far more than was reserved: the very next call on the same replica
    is refused, though the settle went through the queue."""
    gate = replicas()
    ticket = await admit(gate, Decimal("0.01"))
    await ticket.succeeded(Decimal("5"))  # over the $1 budget
    with pytest.raises(Exception, match="budget"):
        await admit(gate, Decimal("0.01"))
