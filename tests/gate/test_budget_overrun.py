"""An upstream that reports more usage than was reserved: the gate settles the reported cost as
it is (never clamped to the reservation), flags it, and the budget refuses the next call at once.

Run on every gate build (memory; Redis in one round trip, what ``build_gate`` makes; Redis part
by part) and for every budget scope (provider, user, key).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis

from lockgate.clock import FakeClock
from lockgate.errors import AppError
from lockgate.gate.budget import MAX_USD, BudgetLimit
from lockgate.gate.config import GateConfig
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.service import Gate, Skip
from lockgate.observability.metrics import Metrics

USER = uuid.UUID(int=7)
RESERVED = Decimal("0.0001")
REPORTED = Decimal("800")  # what 1M + 1M tokens cost at list price
KEY = BudgetLimit("key:k1:daily", Decimal("0.05"), "daily")
SCOPES: dict[str, dict[str, Any]] = {
    "provider": {"providers": {"openai": {"daily_usd": "0.05"}}},
    "user": {"users": {"daily_usd": "0.05"}},
    "key": {},
}
Build = Callable[[str], Gate]


@pytest.fixture(params=["memory", "redis", "redis-stepwise"])
async def build(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Build]:
    """``build(scope)``: a gate whose only budget is a $0.05 daily one of that scope."""
    url: str | None = None if request.param == "memory" else request.getfixturevalue("redis_url")
    clients: list[Redis] = []

    def make(scope: str) -> Gate:
        config = GateConfig.model_validate({"budgets": SCOPES[scope]})
        redis = None
        if url is not None:
            redis = create_redis(url)
            clients.append(redis)
        gate = build_gate(config, ["openai"], redis=redis, clock=clock, metrics=Metrics())
        if request.param == "redis-stepwise":
            gate.redis_gate = None
        return gate

    yield make
    for client in clients:
        await client.aclose()


def limits_of(gate: Gate, scope: str) -> list[BudgetLimit]:
    return [KEY] if scope == "key" else gate.budget_limits("openai", USER)


async def admit(gate: Gate, scope: str) -> Any:
    return await gate.admit(
        "openai",
        user_id=USER,
        upper_bound=RESERVED,
        tokens=100,
        extra_limits=[KEY] if scope == "key" else [],
        model="gpt-4o-mini",
        max_tokens=50,
    )


def over_reservation(gate: Gate) -> float:
    assert gate.metrics is not None
    text = gate.metrics.render()[0].decode()
    pattern = (
        r'lockgate_usage_over_reservation_total\{model="gpt-4o-mini",provider="openai"\} (\S+)'
    )
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize("scope", list(SCOPES))
async def test_the_reported_cost_is_settled_in_full(build: Build, scope: str) -> None:
    gate = build(scope)
    await (await admit(gate, scope)).succeeded(REPORTED, output_tokens=1_000_000)
    [limit] = limits_of(gate, scope)
    status = await gate.budgets.status(limit)
    assert (status.spent_usd, status.reserved_usd) == (REPORTED, Decimal(0))


@pytest.mark.parametrize("scope", list(SCOPES))
async def test_the_next_call_is_refused_at_once(build: Build, scope: str) -> None:
    gate = build(scope)
    await (await admit(gate, scope)).succeeded(REPORTED, output_tokens=1_000_000)
    with pytest.raises((Skip, AppError)) as caught:
        await admit(gate, scope)
    refusal = caught.value
    reason = refusal.reason if isinstance(refusal, Skip) else getattr(refusal, "code", "")
    assert reason == "budget_exceeded"


async def test_a_cost_above_the_reservation_is_counted(build: Build) -> None:
    gate = build("user")
    await (await admit(gate, "user")).succeeded(RESERVED + Decimal("0.00000001"))
    assert over_reservation(gate) == 1.0


async def test_output_above_max_tokens_is_counted_even_within_the_cost(build: Build) -> None:
    gate = build("user")
    await (await admit(gate, "user")).succeeded(RESERVED / 2, output_tokens=51)
    assert over_reservation(gate) == 1.0


async def test_a_report_within_the_reservation_is_not_counted(build: Build) -> None:
    gate = build("user")
    await (await admit(gate, "user")).succeeded(RESERVED, output_tokens=50)
    assert over_reservation(gate) == 0.0


async def test_a_failed_call_reporting_too_much_is_counted_and_settled(build: Build) -> None:
    gate = build("user")
    await (await admit(gate, "user")).failed(REPORTED, unhealthy=True)
    [limit] = limits_of(gate, "user")
    spent = (await gate.budgets.status(limit)).spent_usd
    assert (over_reservation(gate), spent) == (1.0, REPORTED)


async def test_a_report_beyond_any_limit_still_settles_and_refuses(build: Build) -> None:
    gate = build("user")
    await (await admit(gate, "user")).succeeded(Decimal("1e30"))
    [limit] = limits_of(gate, "user")
    spent = (await gate.budgets.status(limit)).spent_usd
    with pytest.raises(AppError) as caught:
        await admit(gate, "user")
    assert (spent, caught.value.code) == (MAX_USD, "budget_exceeded")


async def test_our_own_estimate_is_settled_but_not_counted(build: Build) -> None:
    """A stream cut before any usage report is settled at our estimate from its text, which is
    not an upstream's report: no overrun, even above the reservation."""
    gate = build("user")
    await (await admit(gate, "user")).abandoned(RESERVED * 2, estimated=True)
    [limit] = limits_of(gate, "user")
    spent = (await gate.budgets.status(limit)).spent_usd
    assert (over_reservation(gate), spent) == (0.0, RESERVED * 2)
