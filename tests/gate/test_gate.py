"""The gate itself (admit, then settle), the same from three builds: in memory, on Redis in one
round trip per admit and per settle (what ``build_gate`` makes), and on Redis part by part.

Every outcome is checked by what it leaves behind (budgets, breaker, headroom, lanes), so the
one-round-trip path is held to the parts' own semantics, refusals and their undoing included.
Time is injected: a `FakeClock` for the parts, a `FakeTime` for the lanes' waits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis

from lockgate.clock import FakeClock
from lockgate.errors import AppError
from lockgate.gate._redis import blob
from lockgate.gate.backpressure import LaneConfig, MemoryBackpressure
from lockgate.gate.backpressure.redis import RedisBackpressure
from lockgate.gate.breaker import (
    BreakerConfig,
    BreakerState,
    FailOpenBreaker,
    MemoryBreaker,
    Permit,
)
from lockgate.gate.breaker.redis import RedisBreaker
from lockgate.gate.budget import (
    BudgetLimit,
    BudgetStatus,
    MemoryBudgetBackend,
    ThresholdHook,
)
from lockgate.gate.budget.redis import RedisBudgetBackend
from lockgate.gate.config import GateConfig
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.headroom import HeadroomLimits, MemoryHeadroom
from lockgate.gate.headroom.redis import RedisHeadroom
from lockgate.gate.service import Gate, Skip, Ticket
from tests.fixtures.fake_time import FakeTime, until
from tests.fixtures.redis import RedisServer

USER = uuid.UUID(int=7)
CENT = Decimal("0.01")
ZERO = Decimal(0)
CONFIG = GateConfig.model_validate(
    {
        "budgets": {
            "providers": {"openai": {"daily_usd": "1"}},
            "users": {"daily_usd": "0.5"},
        },
        "breaker": {"consecutive_failures": 2, "cooldown_seconds": 10, "half_open_probes": 1},
    }
)
BREAKER = BreakerConfig(consecutive_failures=2, cooldown_seconds=10, half_open_probes=1)
LANE = LaneConfig(max_concurrent=1, max_queue=1, max_wait_seconds=5)


class Builder:
    """``await builder(rpm=..., lane=..., on_threshold=...)``: a gate of one kind. On Redis each
    gate is one more replica (its own client) sharing the Redis; in memory they share the parts
    of the first (one process)."""

    def __init__(self, kind: str, url: str | None, clock: FakeClock) -> None:
        self.kind = kind
        self.url = url
        self.clock = clock
        self.time = FakeTime()
        self.clients: list[Redis] = []
        self.gates: list[Gate] = []
        self._memory: dict[str, Any] | None = None

    async def __call__(
        self,
        *,
        rpm: int | None = None,
        lane: LaneConfig = LANE,
        on_threshold: ThresholdHook | None = None,
        config: GateConfig = CONFIG,
    ) -> Gate:
        clock, time = self.clock, self.time
        limits = {"openai": HeadroomLimits(rpm=rpm)}
        parts: dict[str, Any]
        if self.url is None:
            parts = self._memory = self._memory or {
                "budgets": MemoryBudgetBackend(clock, on_threshold=on_threshold),
                "breaker": MemoryBreaker(BREAKER, clock),
                "headroom": MemoryHeadroom(limits, clock=clock),
                "backpressure": MemoryBackpressure(
                    {"openai": lane}, sleep=time.sleep, monotonic=time.monotonic
                ),
            }
        else:
            redis = create_redis(self.url)
            self.clients.append(redis)
            parts = {
                "budgets": RedisBudgetBackend(redis, clock, on_threshold=on_threshold),
                "breaker": FailOpenBreaker(RedisBreaker(redis, BREAKER, clock)),
                "headroom": RedisHeadroom(redis, limits, clock=clock),
                "backpressure": RedisBackpressure(
                    redis, {"openai": lane}, clock=clock, sleep=time.sleep, monotonic=time.monotonic
                ),
            }
        gate = Gate(config, **parts, clock=clock)
        assert (gate.redis_gate is not None) == (self.kind != "memory")
        if self.kind == "redis-stepwise":
            gate.redis_gate = None  # the parts one by one, as any other combination runs
        self.gates.append(gate)
        return gate

    async def aclose(self) -> None:
        for gate in self.gates:
            await gate.aclose()
        for client in self.clients:
            await client.aclose()


@pytest.fixture(params=["memory", "redis", "redis-stepwise"])
async def build(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Builder]:
    url: str | None = None if request.param == "memory" else request.getfixturevalue("redis_url")
    builder = Builder(request.param, url, clock)
    yield builder
    await builder.aclose()


@pytest.fixture(params=["redis", "redis-stepwise"])
async def build_on_redis(
    request: pytest.FixtureRequest, clock: FakeClock, redis_url: str
) -> AsyncIterator[Builder]:
    builder = Builder(request.param, redis_url, clock)
    yield builder
    await builder.aclose()


async def admit(gate: Gate, amount: Decimal = CENT, **kwargs: Any) -> Ticket:
    kwargs.setdefault("user_id", USER)
    return await gate.admit("openai", upper_bound=amount, tokens=100, **kwargs)


async def refusal(gate: Gate, amount: Decimal = CENT, **kwargs: Any) -> Skip:
    with pytest.raises(Skip) as caught:
        await admit(gate, amount, **kwargs)
    return caught.value


async def budgets(gate: Gate) -> list[tuple[Decimal, Decimal]]:
    """(spent, reserved) of the provider's and the user's daily budget."""
    limits = gate.budget_limits("openai", USER)
    return [((s := await gate.budgets.status(limit)).spent_usd, s.reserved_usd) for limit in limits]


async def in_flight(gate: Gate) -> int:
    return (await gate.backpressure.snapshot("openai")).in_flight


async def test_a_call_settles_its_cost_and_frees_its_slot(build: Builder) -> None:
    gate = await build()
    ticket = await admit(gate, Decimal("0.2"))
    assert await budgets(gate) == [(ZERO, Decimal("0.2"))] * 2
    assert await in_flight(gate) == 1
    await ticket.succeeded(Decimal("0.07"))
    await ticket.succeeded(Decimal("0.07"))  # settling twice is a no-op
    assert await budgets(gate) == [(Decimal("0.07"), ZERO)] * 2
    assert await in_flight(gate) == 0


async def test_a_failed_call_is_refunded_and_counts_against_the_breaker(build: Builder) -> None:
    gate = await build()
    for _ in range(BREAKER.consecutive_failures):
        ticket = await admit(gate)
        await ticket.failed(Decimal(0), unhealthy=True)
    assert await budgets(gate) == [(ZERO, ZERO)] * 2
    assert (await gate.breaker.state("openai")).state is BreakerState.OPEN
    skip = await refusal(gate)
    assert (skip.reason, skip.retry_after) == ("circuit_open", BREAKER.cooldown_seconds)
    assert await budgets(gate) == [(ZERO, ZERO)] * 2
    assert await in_flight(gate) == 0


async def test_a_failure_that_is_not_the_providers_fault_leaves_the_breaker_closed(
    build: Builder,
) -> None:
    gate = await build()
    for _ in range(BREAKER.consecutive_failures + 1):
        await (await admit(gate)).failed(CENT, unhealthy=False)
    assert (await gate.breaker.state("openai")).state is BreakerState.CLOSED
    assert await budgets(gate) == [(Decimal("0.03"), ZERO)] * 2


async def test_no_headroom_skips_and_releases_the_probe(build: Builder, clock: FakeClock) -> None:
    gate = await build(rpm=2)
    for _ in range(BREAKER.consecutive_failures):  # the two calls use up the rpm
        await (await admit(gate)).failed(Decimal(0), unhealthy=True)
    clock.advance(seconds=BREAKER.cooldown_seconds)  # half-open: one probe at a time
    skip = await refusal(gate)
    assert (skip.reason, skip.detail) == ("no_headroom", "requests")
    assert await budgets(gate) == [(ZERO, ZERO)] * 2
    assert await in_flight(gate) == 0
    # Room again once the two calls leave the minute; a probe kept by the refusal would still
    # hold its slot (its lease runs 60 s from the refusal), so this one is admitted only if the
    # refusal released it.
    clock.advance(seconds=60 - BREAKER.cooldown_seconds)
    probe = await admit(gate)
    assert probe.permit.probe
    await probe.succeeded(CENT)
    assert (await gate.breaker.state("openai")).state is BreakerState.HALF_OPEN


async def test_a_spent_provider_budget_skips_the_candidate(build: Builder) -> None:
    gate = await build()
    held = await admit(gate, Decimal("0.5"))
    await held.succeeded(Decimal("0.95"))  # more than reserved: the truth is recorded
    skip = await refusal(gate, Decimal("0.06"))
    assert (skip.reason, skip.detail) == ("budget_exceeded", "provider:openai:daily")
    assert skip.budget_error is not None
    assert skip.budget_error.spent_usd == Decimal("0.95")
    assert await budgets(gate) == [(Decimal("0.95"), ZERO)] * 2
    assert await in_flight(gate) == 0


async def test_a_budget_refusal_releases_the_probe(build: Builder, clock: FakeClock) -> None:
    gate = await build()
    for _ in range(BREAKER.consecutive_failures):
        await (await admit(gate)).failed(Decimal(0), unhealthy=True)
    clock.advance(seconds=BREAKER.cooldown_seconds)  # half-open: one probe at a time
    with pytest.raises(AppError):
        await admit(gate, Decimal("0.6"))  # more than the user's budget
    probe = await admit(gate)  # the refusal did not keep the probe slot
    assert probe.permit.probe
    assert await budgets(gate) == [(ZERO, CENT)] * 2


async def test_a_spent_user_budget_is_the_callers_error(build: Builder) -> None:
    gate = await build()
    held = await admit(gate, Decimal("0.4"))
    with pytest.raises(AppError) as caught:
        await admit(gate, Decimal("0.2"))
    assert (caught.value.status, caught.value.code) == (429, "budget_exceeded")
    assert await budgets(gate) == [(ZERO, Decimal("0.4"))] * 2
    await held.abandoned(Decimal("0.4"))
    assert await budgets(gate) == [(Decimal("0.4"), ZERO)] * 2


async def test_a_key_budget_is_checked_with_the_others(build: Builder) -> None:
    gate = await build()
    key = BudgetLimit("key:k1:daily", Decimal("0.05"), "daily")
    ticket = await admit(gate, Decimal("0.05"), extra_limits=[key])
    with pytest.raises(AppError, match="This API key's daily budget"):
        await admit(gate, CENT, extra_limits=[key])
    await ticket.succeeded(Decimal("0.04"))
    status = await gate.budgets.status(key)
    assert (status.spent_usd, status.reserved_usd) == (Decimal("0.04"), ZERO)
    await (await admit(gate, CENT, extra_limits=[key])).succeeded(CENT)
    assert (await gate.budgets.status(key)).spent_usd == Decimal("0.05")


async def test_a_full_lane_sheds_refunds_and_releases_the_probe(
    build: Builder, clock: FakeClock
) -> None:
    gate = await build(lane=LaneConfig(max_concurrent=1, max_queue=0, max_wait_seconds=5))
    for _ in range(BREAKER.consecutive_failures):  # the model's own breaker opens
        await (await admit(gate, breaker="openai:b")).failed(Decimal(0), unhealthy=True)
    clock.advance(seconds=BREAKER.cooldown_seconds)  # ... and is half-open: one probe
    held = await admit(gate, breaker="openai:a")  # the lane's only slot
    skip = await refusal(gate, Decimal("0.3"), breaker="openai:b")
    assert (skip.reason, skip.detail) == ("overloaded", "queue_full")
    assert await budgets(gate) == [(ZERO, CENT)] * 2  # the refused call's reservation is gone
    await held.succeeded(CENT)
    probe = await admit(gate, breaker="openai:b")  # the refused call did not keep the probe
    assert probe.permit.probe
    assert await budgets(gate) == [(CENT, CENT)] * 2


async def test_a_queued_call_gets_the_freed_slot(build: Builder) -> None:
    gate = await build()
    first = await admit(gate)
    waiting = asyncio.create_task(admit(gate, Decimal("0.2")))
    await until(lambda: queued(gate, 1))
    assert not waiting.done()
    await first.succeeded(CENT)
    build.time.advance(0.5)  # a Redis waiter polls for the slot
    second = await waiting
    assert second.lease is not None
    assert await budgets(gate) == [(CENT, Decimal("0.2"))] * 2
    await second.succeeded(CENT)
    assert await in_flight(gate) == 0


async def test_a_queued_call_that_waits_too_long_is_shed_and_refunded(build: Builder) -> None:
    gate = await build()
    first = await admit(gate)
    waiting = asyncio.create_task(admit(gate, Decimal("0.2")))
    await until(lambda: queued(gate, 1))
    await until(lambda: sleeping(build.time))
    build.time.advance(LANE.max_wait_seconds)
    with pytest.raises(Skip) as caught:
        await waiting
    assert (caught.value.reason, caught.value.detail) == ("overloaded", "wait_timeout")
    assert await budgets(gate) == [(ZERO, CENT)] * 2
    assert (await gate.backpressure.snapshot("openai")).queued == 0
    await first.succeeded(CENT)
    assert await in_flight(gate) == 0


async def test_thresholds_fire_once_from_admit_and_settle(build: Builder) -> None:
    fired: list[tuple[str, float]] = []

    def alert(status: BudgetStatus, threshold: float) -> None:
        fired.append((status.scope.split(":")[0], threshold))

    gate = await build(on_threshold=alert)
    first = await admit(gate, Decimal("0.45"))  # the user's budget is 90% reserved
    assert fired == [("user", 0.9)]
    await first.succeeded(Decimal("0.5"))  # ... and 100% spent
    assert fired == [("user", 0.9), ("user", 1.0)]
    with pytest.raises(AppError):
        await admit(gate, CENT)
    await (await admit(gate, CENT, user_id=None)).succeeded(Decimal("0.4"))  # provider: 90%
    assert fired == [("user", 0.9), ("user", 1.0), ("provider", 0.9)]


async def test_budgets_hold_across_replicas_under_concurrency(build: Builder) -> None:
    wide = LaneConfig(max_concurrent=1000, max_queue=0, max_wait_seconds=1)
    gates = [await build(lane=wide) for _ in range(3)]  # in memory: one process's

    async def attempt(index: int) -> bool:
        gate = gates[index % len(gates)]
        try:
            ticket = await admit(gate, Decimal("0.03"))
        except AppError:
            return False
        await ticket.succeeded(Decimal("0.02"))
        return True

    admitted = sum(await asyncio.gather(*(attempt(i) for i in range(60))))
    spent, reserved = (await budgets(gates[0]))[1]
    assert reserved == 0
    assert spent == Decimal("0.02") * admitted <= Decimal("0.5")
    assert admitted >= 16  # 0.5 / 0.03: at least what fits when every call is in flight at once


async def queued(gate: Gate, count: int) -> bool:
    return (await gate.backpressure.snapshot("openai")).queued == count


async def test_one_round_trip_per_admit_and_per_settle(redis_url: str, clock: FakeClock) -> None:
    redis = create_redis(redis_url)
    gate = build_gate(CONFIG, ["openai"], redis=redis, clock=clock)
    await (await admit(gate)).succeeded(CENT)  # the scripts are loaded now
    sent: list[str] = []
    execute: Callable[..., Awaitable[Any]] = redis.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    redis.execute_command = counting  # type: ignore[method-assign]
    try:
        ticket = await admit(gate, extra_limits=[BudgetLimit("key:k:daily", CENT, "daily")])
        assert sent == ["EVALSHA"]
        await ticket.failed(CENT, unhealthy=True)
        assert sent == ["EVALSHA", "EVALSHA"]
    finally:
        await gate.aclose()
        await redis.aclose()


async def test_redis_down_fails_budgets_closed_and_the_rest_open(
    build_on_redis: Builder, redis_server: RedisServer
) -> None:
    users_only = CONFIG.model_copy(
        update={"budgets": CONFIG.budgets.model_copy(update={"providers": {}})}
    )
    gate = await build_on_redis(config=users_only)
    await (await admit(gate)).succeeded(CENT)  # connected, scripts loaded
    redis_server.pause()
    try:
        with pytest.raises(AppError) as caught:
            await admit(gate)
        assert (caught.value.status, caught.value.code) == (503, "budget_unavailable")
        unmetered = await gate.admit("openai", user_id=None, upper_bound=CENT, tokens=1)
        assert unmetered.permit.degraded
        assert unmetered.lease is None
        assert unmetered.reservation.scopes == ()
        await unmetered.succeeded(CENT)  # logged, never raised
    finally:
        redis_server.resume()  # an empty Redis: budgets start over, limiting resumes
    await (await admit(gate)).succeeded(CENT)
    assert await budgets(gate) == [(CENT, ZERO)]


async def test_a_settle_while_redis_is_down_does_not_fail_the_call(
    build_on_redis: Builder, redis_server: RedisServer
) -> None:
    gate = await build_on_redis()
    ticket = await admit(gate, Decimal("0.3"))
    redis_server.pause()
    try:
        await ticket.succeeded(CENT)  # logged: the lease expires, the ledger has the cost
        assert ticket.done
    finally:
        redis_server.resume()  # an empty Redis: budgets start over, limiting resumes
    await (await admit(gate, Decimal("0.5"))).abandoned(Decimal(0))
    assert await budgets(gate) == [(ZERO, ZERO)] * 2
    assert await in_flight(gate) == 0


async def sleeping(time: FakeTime) -> bool:
    return bool(time.sleepers)


async def test_blobs_are_the_parts_own_arguments(redis_url: str, clock: FakeClock) -> None:
    """The one-round-trip scripts get each part's arguments as one string, built from cached
    pieces: exactly what the part's own script gets, joined."""
    redis = create_redis(redis_url)
    try:
        budgets_ = RedisBudgetBackend(redis, clock, on_threshold=lambda status, threshold: None)
        breaker = RedisBreaker(redis, BREAKER, clock)
        lanes = RedisBackpressure(redis, {"openai": LANE}, clock=clock)
        headroom = RedisHeadroom(redis, {"openai": HeadroomLimits(rpm=5, tpm=100)}, clock=clock)
        limits = [
            BudgetLimit("provider:openai:daily", Decimal("1"), "daily"),
            BudgetLimit("user:u:monthly", Decimal("2.5"), "monthly", tz="Europe/Paris"),
        ]
        units, windows, held = budgets_.prepare(limits, CENT, 60, clock())
        permit = Permit("openai", epoch=3, probe=True)
        config, lease, _, mode = lanes.start("openai")
        now_ms = 1_893_456_000_123
        for actual in (None, 0, 2):
            assert budgets_.release_blob(held, windows, actual, now_ms) == blob(
                budgets_.release_args(held, windows, actual, now_ms)
            )
        assert budgets_.reserve_blob(windows, units, held, now_ms) == blob(
            budgets_.reserve_args(windows, units, held, now_ms)
        )
        assert breaker.allow_blob(permit, now_ms) == blob(breaker.allow_args(permit, now_ms))
        for success in (True, False):
            assert breaker.record_blob(permit, success, now_ms) == blob(
                breaker.record_args(permit, success, now_ms)
            )
        assert lanes.try_blob(lease, config, mode, now_ms) == blob(
            lanes.try_args(lease, config, mode, now_ms)
        )
        assert headroom.acquire_blob("openai", 7, now_ms).split("|")[:5] == [
            str(now_ms),
            "60000",
            "5",
            "100",
            "7",
        ]
    finally:
        await redis.aclose()
