"""The Redis budget backend across replicas, outages and script cache flushes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from lockgate.clock import FakeClock
from lockgate.gate.budget import BudgetExceeded, BudgetLimit, BudgetStatus, BudgetUnavailable
from lockgate.gate.budget.redis import RedisBudgetBackend
from tests.fixtures.redis import RedisServer

USER = BudgetLimit("user:u1:daily", Decimal("5.00"), "daily")
PROVIDER = BudgetLimit("provider:openai", Decimal("100"), "monthly")
LEASE = 60.0
ZERO = Decimal(0)


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    """Four independent clients, as four replicas would hold."""
    made = [
        Redis.from_pool(
            BlockingConnectionPool.from_url(
                redis_url, max_connections=20, retry=Retry(NoBackoff(), 1)
            )
        )
        for _ in range(4)
    ]
    yield made
    for client in made:
        await client.aclose()


@pytest.fixture
def backend(clients: list[Redis], clock: FakeClock) -> RedisBudgetBackend:
    return RedisBudgetBackend(clients[0], clock)


async def admitted(backends: list[RedisBudgetBackend], limit: BudgetLimit, count: int) -> int:
    async def attempt(backend: RedisBudgetBackend) -> bool:
        try:
            await backend.reserve([PROVIDER, limit], Decimal("0.07"), lease_seconds=LEASE)
        except BudgetExceeded:
            return False
        return True

    results = await asyncio.gather(*(attempt(backends[i % len(backends)]) for i in range(count)))
    return sum(results)


async def test_replicas_together_admit_exactly_what_fits(
    clients: list[Redis], clock: FakeClock
) -> None:
    replicas = [RedisBudgetBackend(client, clock) for client in clients]
    count = await admitted(replicas, USER, 200)
    status = await replicas[1].status(USER)
    assert (count, status.reserved_usd) == (71, Decimal("4.97"))


async def test_replicas_together_fire_each_threshold_once(
    clients: list[Redis], clock: FakeClock
) -> None:
    fired: list[float] = []

    def alert(status: BudgetStatus, threshold: float) -> None:
        fired.append(threshold)

    replicas = [RedisBudgetBackend(client, clock, on_threshold=alert) for client in clients]
    seven = BudgetLimit("user:u1:daily", Decimal("7.00"), "daily")
    await admitted(replicas, seven, 200)
    assert sorted(fired) == [0.9, 1.0]


async def test_a_reservation_settles_on_another_replica(
    clients: list[Redis], clock: FakeClock
) -> None:
    first, second = RedisBudgetBackend(clients[0], clock), RedisBudgetBackend(clients[1], clock)
    held = await first.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    await second.settle(held, Decimal("0.25"))
    status = await first.status(USER)
    assert (status.spent_usd, status.reserved_usd) == (Decimal("0.25"), ZERO)


async def test_reserve_fails_closed_when_redis_is_down(
    backend: RedisBudgetBackend, redis_server: RedisServer
) -> None:
    await backend.status(USER)  # the pool holds a live connection when the server goes
    redis_server.pause()
    try:
        with pytest.raises(BudgetUnavailable):
            await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    finally:
        redis_server.resume()


async def test_status_fails_closed_when_redis_is_down(
    backend: RedisBudgetBackend, redis_server: RedisServer
) -> None:
    redis_server.pause()
    try:
        with pytest.raises(BudgetUnavailable):
            await backend.status(USER)
    finally:
        redis_server.resume()


async def test_settle_fails_closed_when_redis_is_down(
    backend: RedisBudgetBackend, redis_server: RedisServer
) -> None:
    held = await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    redis_server.pause()
    try:
        with pytest.raises(BudgetUnavailable):
            await backend.settle(held, Decimal("1"))
    finally:
        redis_server.resume()


async def test_budgets_work_again_once_redis_is_back(
    backend: RedisBudgetBackend, redis_server: RedisServer
) -> None:
    await backend.status(USER)
    redis_server.pause()
    try:
        with pytest.raises(BudgetUnavailable):
            await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    finally:
        redis_server.resume()
    await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    assert (await backend.status(USER)).reserved_usd == Decimal("1")


async def test_scripts_reload_after_a_script_flush(
    backend: RedisBudgetBackend, redis_server: RedisServer
) -> None:
    await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    redis_server.execute("SCRIPT", "FLUSH")
    await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    assert (await backend.status(USER)).reserved_usd == Decimal("2")


async def test_window_keys_expire_two_days_after_the_window(
    backend: RedisBudgetBackend, clients: list[Redis]
) -> None:
    await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    window = "lockgate:budget:w:user:u1:daily:2030-01-01"
    keys = [window, f"{window}:leases"]
    ttls = [await clients[0].ttl(key) for key in keys]
    assert all(3 * 86400 - 5 <= ttl <= 3 * 86400 for ttl in ttls)


async def test_settled_ids_are_remembered_briefly(
    backend: RedisBudgetBackend, clients: list[Redis]
) -> None:
    """Long enough for a retry after a lost reply; short enough that Redis does not fill up
    with a marker per call."""
    held = await backend.reserve([USER], Decimal("1"), lease_seconds=LEASE)
    await backend.refund(held)
    ttl = await clients[0].ttl(f"lockgate:budget:done:{held.id}")
    assert 300 - 5 <= ttl <= 300


async def test_expired_leases_leave_no_trace(
    backend: RedisBudgetBackend, clients: list[Redis], clock: FakeClock
) -> None:
    await backend.reserve([USER], Decimal("1"), lease_seconds=30)
    clock.advance(seconds=30)
    await backend.status(USER)
    window = "lockgate:budget:w:user:u1:daily:2030-01-01"
    fields = await clients[0].hgetall(window)
    leases = await clients[0].zcard(f"{window}:leases")
    assert (fields, leases) == ({b"reserved": b"0"}, 0)
