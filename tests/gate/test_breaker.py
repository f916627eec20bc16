"""Circuit breakers: the same behaviour from the memory and the Redis backend, then replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from lockgate.clock import FakeClock
from lockgate.gate.breaker import (
    Breaker,
    BreakerConfig,
    BreakerState,
    BreakerUnavailable,
    CircuitOpen,
    FailOpenBreaker,
    MemoryBreaker,
    Permit,
    TransitionListener,
)
from lockgate.gate.breaker.redis import RedisBreaker
from tests.fixtures.redis import RedisServer

CLOSED, HALF_OPEN, OPEN = BreakerState.CLOSED, BreakerState.HALF_OPEN, BreakerState.OPEN
RATIO_ONLY = BreakerConfig(consecutive_failures=100)
STREAK_ONLY = BreakerConfig(min_calls=100)
MakeBreaker = Callable[..., Breaker]


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, retry=Retry(NoBackoff(), 1), socket_connect_timeout=2)


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    """Two independent clients, as two replicas would hold."""
    made = [redis_client(redis_url) for _ in range(2)]
    yield made
    for client in made:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def make_breaker(request: pytest.FixtureRequest, clock: FakeClock) -> MakeBreaker:
    """``make_breaker(config, on_transition=...)`` on the backend under test."""
    clients: list[Redis] = request.getfixturevalue("clients") if request.param == "redis" else []

    def make(
        config: BreakerConfig | None = None, on_transition: TransitionListener | None = None
    ) -> Breaker:
        if request.param == "memory":
            return MemoryBreaker(config, clock, on_transition=on_transition)
        return RedisBreaker(clients[0], config, clock, on_transition=on_transition)

    return make


async def call(breaker: Breaker, success: bool, name: str = "openai") -> None:
    await breaker.record(await breaker.allow(name), success)


async def trip(breaker: Breaker, name: str = "openai") -> None:
    for _ in range(BreakerConfig().consecutive_failures):
        await call(breaker, False, name)


async def state_of(breaker: Breaker, name: str = "openai") -> BreakerState:
    return (await breaker.state(name)).state


async def retry_after(breaker: Breaker, name: str = "openai") -> float:
    with pytest.raises(CircuitOpen) as refused:
        await breaker.allow(name)
    return refused.value.retry_after


async def test_opens_when_failure_ratio_reached_with_min_calls(make_breaker: MakeBreaker) -> None:
    breaker = make_breaker(RATIO_ONLY)
    for success in [True, False] * 4 + [True]:
        await call(breaker, success)
    assert await state_of(breaker) == CLOSED
    await call(breaker, False)
    assert await state_of(breaker) == OPEN


async def test_stays_closed_below_min_calls(make_breaker: MakeBreaker) -> None:
    breaker = make_breaker(RATIO_ONLY)
    for success in [True] + [False] * 8:
        await call(breaker, success)
    snapshot = await breaker.state("openai")
    assert (snapshot.state, snapshot.failures, snapshot.calls) == (CLOSED, 8, 9)


async def test_window_forgets_calls_older_than_the_window(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker(RATIO_ONLY)
    for _ in range(9):
        await call(breaker, False)
    clock.advance(seconds=61)
    await call(breaker, False)
    snapshot = await breaker.state("openai")
    assert (snapshot.state, snapshot.failures, snapshot.calls) == (CLOSED, 1, 1)


async def test_opens_on_consecutive_failures(make_breaker: MakeBreaker) -> None:
    breaker = make_breaker(STREAK_ONLY)
    for success in [False] * 4 + [True] + [False] * 4:
        await call(breaker, success)
    assert await state_of(breaker) == CLOSED
    await call(breaker, False)
    assert await state_of(breaker) == OPEN


async def test_open_rejects_with_retry_after(make_breaker: MakeBreaker, clock: FakeClock) -> None:
    breaker = make_breaker()
    await trip(breaker)
    clock.advance(seconds=4)
    assert await retry_after(breaker) == pytest.approx(6.0)


async def test_snapshot_reports_the_trip(make_breaker: MakeBreaker, clock: FakeClock) -> None:
    breaker = make_breaker()
    await trip(breaker)
    snapshot = await breaker.state("openai")
    assert (snapshot.trips, snapshot.consecutive_failures, snapshot.opened_until) == (
        1,
        5,
        clock.now + timedelta(seconds=10),
    )


async def test_breakers_are_per_name(make_breaker: MakeBreaker) -> None:
    breaker = make_breaker()
    await trip(breaker, "openai")
    permit = await breaker.allow("anthropic")
    assert (permit.name, await state_of(breaker, "anthropic")) == ("anthropic", CLOSED)


async def test_cooldown_leads_to_half_open_with_limited_probes(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker()
    await trip(breaker)
    clock.advance(seconds=10)
    probes = [await breaker.allow("openai") for _ in range(3)]
    with pytest.raises(CircuitOpen):
        await breaker.allow("openai")
    assert [p.probe for p in probes] == [True] * 3
    assert await state_of(breaker) == HALF_OPEN


async def test_probe_successes_close_and_reset_cooldown(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker(BreakerConfig(success_threshold=2))
    await trip(breaker)
    clock.advance(seconds=10)
    await call(breaker, False)  # half-open probe fails: cooldown 20 s
    clock.advance(seconds=20)
    await call(breaker, True)
    await call(breaker, True)
    assert await state_of(breaker) == CLOSED
    await trip(breaker)
    assert await retry_after(breaker) == pytest.approx(10.0)


async def test_probe_failure_reopens_with_doubled_cooldown_capped(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker(BreakerConfig(cooldown_seconds=10, max_cooldown_seconds=30))
    await trip(breaker)
    cooldowns = [await retry_after(breaker)]
    for _ in range(3):
        clock.advance(seconds=cooldowns[-1])
        await call(breaker, False)
        cooldowns.append(await retry_after(breaker))
    assert cooldowns == pytest.approx([10.0, 20.0, 30.0, 30.0])


async def test_transitions_are_reported_once(make_breaker: MakeBreaker, clock: FakeClock) -> None:
    seen: list[tuple[str, BreakerState, BreakerState]] = []

    async def listener(name: str, old: BreakerState, new: BreakerState) -> None:
        seen.append((name, old, new))

    breaker = make_breaker(BreakerConfig(success_threshold=1), on_transition=listener)
    await trip(breaker)
    clock.advance(seconds=10)
    await breaker.state("openai")
    await breaker.state("openai")
    await call(breaker, True)
    await breaker.state("openai")
    assert seen == [
        ("openai", CLOSED, OPEN),
        ("openai", OPEN, HALF_OPEN),
        ("openai", HALF_OPEN, CLOSED),
    ]


async def test_failing_listener_does_not_break_the_call(make_breaker: MakeBreaker) -> None:
    def listener(name: str, old: BreakerState, new: BreakerState) -> None:
        raise RuntimeError("metrics are down")

    breaker = make_breaker(on_transition=listener)
    await trip(breaker)
    assert await state_of(breaker) == OPEN


async def test_recording_a_permit_twice_counts_once(make_breaker: MakeBreaker) -> None:
    breaker = make_breaker(STREAK_ONLY)
    permit = await breaker.allow("openai")
    for _ in range(5):
        await breaker.record(permit, False)
    assert (await breaker.state("openai")).consecutive_failures == 1


async def test_release_frees_a_probe_slot_without_a_verdict(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker()
    await trip(breaker)
    clock.advance(seconds=10)
    probes = [await breaker.allow("openai") for _ in range(3)]
    await breaker.release(probes[0])  # e.g. the provider answered 429: no health verdict
    fourth = await breaker.allow("openai")
    assert (fourth.probe, await state_of(breaker)) == (True, HALF_OPEN)


async def test_expired_probe_lease_frees_its_slot_and_loses_its_vote(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker(BreakerConfig(success_threshold=1, probe_lease_seconds=30))
    await trip(breaker)
    clock.advance(seconds=10)
    stale = [await breaker.allow("openai") for _ in range(3)]  # their replica "dies"
    clock.advance(seconds=30)
    fresh = await breaker.allow("openai")
    await breaker.record(stale[0], True)
    assert await state_of(breaker) == HALF_OPEN
    await breaker.record(fresh, True)
    assert await state_of(breaker) == CLOSED


async def test_verdict_from_before_a_trip_is_ignored(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker(BreakerConfig(success_threshold=1))
    early = await breaker.allow("openai")
    await trip(breaker)
    clock.advance(seconds=10)
    await breaker.state("openai")
    await breaker.record(early, False)
    assert await state_of(breaker) == HALF_OPEN


def test_gauge_values() -> None:
    assert [s.gauge for s in (CLOSED, HALF_OPEN, OPEN)] == [0, 1, 2]


def test_config_rejects_cooldown_above_its_cap() -> None:
    with pytest.raises(ValueError, match="cooldown"):
        BreakerConfig(cooldown_seconds=10, max_cooldown_seconds=5)


# Redis: replicas share one breaker.


async def test_a_trip_on_one_replica_is_seen_by_the_other(
    clients: list[Redis], clock: FakeClock
) -> None:
    one, two = (RedisBreaker(client, clock=clock) for client in clients)
    await trip(one)
    with pytest.raises(CircuitOpen):
        await two.allow("openai")


async def test_replicas_report_each_transition_once(clients: list[Redis], clock: FakeClock) -> None:
    seen: list[tuple[BreakerState, BreakerState]] = []

    def listener(name: str, old: BreakerState, new: BreakerState) -> None:
        seen.append((old, new))

    replicas = [RedisBreaker(c, clock=clock, on_transition=listener) for c in clients * 2]
    permits = await asyncio.gather(*(r.allow("openai") for r in replicas * 5))
    await asyncio.gather(*(replicas[i % 4].record(p, False) for i, p in enumerate(permits)))
    clock.advance(seconds=10)
    await asyncio.gather(*(r.state("openai") for r in replicas))
    assert seen == [(CLOSED, OPEN), (OPEN, HALF_OPEN)]


async def test_probe_leases_are_shared_across_replicas(
    clients: list[Redis], clock: FakeClock
) -> None:
    one, two = (RedisBreaker(c, clock=clock) for c in clients)
    await trip(one)
    clock.advance(seconds=10)
    for _ in range(3):
        await one.allow("openai")
    with pytest.raises(CircuitOpen):
        await two.allow("openai")
    clock.advance(seconds=BreakerConfig().probe_lease_seconds)
    assert (await two.allow("openai")).probe


async def test_redis_down_raises_breaker_unavailable(
    clients: list[Redis], redis_server: RedisServer
) -> None:
    breaker = RedisBreaker(clients[0])
    redis_server.pause()
    try:
        with pytest.raises(BreakerUnavailable):
            await breaker.allow("openai")
    finally:
        redis_server.resume()


async def test_fail_open_breaker_admits_while_redis_is_down(
    clients: list[Redis], redis_server: RedisServer
) -> None:
    breaker = FailOpenBreaker(RedisBreaker(clients[0]))
    redis_server.pause()
    try:
        permit = await breaker.allow("openai")
        await breaker.record(permit, False)
        with pytest.raises(BreakerUnavailable):
            await breaker.state("openai")
    finally:
        redis_server.resume()
    assert permit.degraded
    assert not (await breaker.allow("openai")).degraded


async def test_fail_open_breaker_passes_open_through(clients: list[Redis]) -> None:
    breaker = FailOpenBreaker(RedisBreaker(clients[0]))
    await trip(breaker)
    with pytest.raises(CircuitOpen):
        await breaker.allow("openai")


def test_permit_settles_once() -> None:
    permit = Permit("openai", epoch=0)
    assert [permit.mark_settled(), permit.mark_settled()] == [True, False]
