"""The team scope and the run-time limits, held to the gate's contract on every store: in
memory, on Redis in one round trip, and on Redis part by part (`tests/gate/test_gate.py`'s
builds).

A team's budget is one more `BudgetLimit` of the call, so it is reserved and settled in the same
atomic step as the provider's, the user's and the key's: a refusal by any scope holds nothing
anywhere, and any number of replicas under any concurrency never spend past it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from lockgate.clock import FakeClock
from lockgate.errors import AppError
from lockgate.gate.backpressure import LaneConfig
from lockgate.gate.budget import BudgetLimit
from lockgate.gate.headroom import HeadroomLimits
from lockgate.gate.runtime import RuntimeLimits, ScopeLimits
from lockgate.gate.service import Gate, Skip
from tests.gate.test_gate import CENT, USER, ZERO, Builder, admit

TEAM = uuid.UUID(int=100)
OTHER_TEAM = uuid.UUID(int=200)
BOB = uuid.UUID(int=8)
CAROL = uuid.UUID(int=9)
KEY = uuid.UUID(int=50)


@pytest.fixture(params=["memory", "redis", "redis-stepwise"])
async def build(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Builder]:
    url: str | None = None if request.param == "memory" else request.getfixturevalue("redis_url")
    builder = Builder(request.param, url, clock)
    yield builder
    await builder.aclose()


def teams(daily: str = "0.1", **extra: object) -> RuntimeLimits:
    """USER, BOB and CAROL in TEAM (daily budget ``daily``); OTHER_TEAM has 1 USD."""
    return RuntimeLimits(
        teams={TEAM: ScopeLimits(daily_usd=Decimal(daily)), OTHER_TEAM: ScopeLimits(Decimal(1))},
        user_teams={USER: TEAM, BOB: TEAM, CAROL: TEAM},
        **extra,  # type: ignore[arg-type]
    )


def team_daily(gate: Gate, team: uuid.UUID = TEAM) -> BudgetLimit:
    """The team's daily window as the gate builds it."""
    tz = gate.config.budgets.timezone
    return gate.book.current.team(team).budget_limits(f"team:{team}", tz)[0]


async def spent_reserved(gate: Gate, limit: BudgetLimit) -> tuple[Decimal, Decimal]:
    status = await gate.budgets.status(limit)
    return status.spent_usd, status.reserved_usd


async def test_a_members_call_reserves_and_settles_in_the_teams_window(build: Builder) -> None:
    gate = await build()
    gate.book.replace(teams())
    assert [limit.scope for limit in gate.budget_limits("openai", USER)] == [
        "provider:openai:daily",
        f"team:{TEAM}:daily",
        f"user:{USER}:daily",
    ]
    ticket = await admit(gate, Decimal("0.04"))
    assert await spent_reserved(gate, team_daily(gate)) == (ZERO, Decimal("0.04"))
    await ticket.succeeded(Decimal("0.03"))
    assert await spent_reserved(gate, team_daily(gate)) == (Decimal("0.03"), ZERO)


async def test_a_spent_team_budget_refuses_every_member_and_holds_nothing(build: Builder) -> None:
    gate = await build()
    gate.book.replace(teams())
    await (await admit(gate, Decimal("0.08"))).succeeded(Decimal("0.08"))
    with pytest.raises(AppError, match="Your team's daily budget") as caught:
        await admit(gate, Decimal("0.03"), user_id=BOB)
    assert (caught.value.status, caught.value.code) == (429, "budget_exceeded")
    bob = BudgetLimit(f"user:{BOB}:daily", Decimal("0.5"), "daily")
    assert await spent_reserved(gate, bob) == (ZERO, ZERO)  # refused by the team: held nowhere
    assert (await gate.budgets.status(gate.budget_limits("openai", BOB)[0])).reserved_usd == ZERO
    await (await admit(gate, Decimal("0.02"), user_id=BOB)).succeeded(Decimal("0.02"))  # still fits


async def test_a_user_without_a_team_is_not_held_by_one(build: Builder) -> None:
    gate = await build()
    gate.book.replace(teams(daily="0"))
    outsider = uuid.UUID(int=77)
    await (await admit(gate, CENT, user_id=outsider)).succeeded(CENT)
    with pytest.raises(AppError, match="Your team's"):
        await admit(gate, CENT)


async def test_a_key_with_a_team_of_its_own_pays_into_that_team(build: Builder) -> None:
    gate = await build()
    gate.book.replace(teams(key_teams={KEY: OTHER_TEAM}))
    scopes = [limit.scope for limit in gate.budget_limits("openai", USER, KEY)]
    assert f"team:{OTHER_TEAM}:daily" in scopes
    assert f"team:{TEAM}:daily" not in scopes
    await (await admit(gate, Decimal("0.3"), key_id=KEY)).succeeded(Decimal("0.3"))
    assert await spent_reserved(gate, team_daily(gate, OTHER_TEAM)) == (Decimal("0.3"), ZERO)
    assert await spent_reserved(gate, team_daily(gate, TEAM)) == (ZERO, ZERO)


async def test_a_lowered_team_budget_applies_to_the_next_call(build: Builder) -> None:
    gate = await build()
    gate.book.replace(teams(daily="1"))
    await (await admit(gate, Decimal("0.05"))).succeeded(Decimal("0.05"))
    await (await admit(gate, Decimal("0.05"))).succeeded(Decimal("0.05"))
    gate.book.replace(teams(daily="0.1"))  # what a run-time change does, on every replica
    with pytest.raises(AppError, match=r"Your team's daily budget of \$0.10 is spent"):
        await admit(gate, CENT)


async def test_a_provider_override_replaces_the_yaml_budget_and_goes_back(build: Builder) -> None:
    gate = await build()
    gate.book.replace(RuntimeLimits(providers={"openai": ScopeLimits(daily_usd=Decimal("0.02"))}))
    await (await admit(gate, Decimal("0.02"), user_id=None)).succeeded(Decimal("0.02"))
    skip = await _skip(gate)
    assert skip.reason == "budget_exceeded"
    gate.book.replace(RuntimeLimits())  # the YAML's 1 USD again
    await (await admit(gate, Decimal("0.02"), user_id=None)).succeeded(Decimal("0.02"))


async def test_a_user_override_replaces_the_yaml_default(build: Builder) -> None:
    gate = await build()
    gate.book.replace(RuntimeLimits(users={USER: ScopeLimits(daily_usd=Decimal("0.02"))}))
    await (await admit(gate, Decimal("0.02"))).succeeded(Decimal("0.02"))
    with pytest.raises(AppError, match=r"Your daily budget of \$0.02"):
        await admit(gate, CENT)
    await (await admit(gate, Decimal("0.2"), user_id=BOB)).succeeded(CENT)  # the YAML's 0.5


async def test_a_provider_rpm_override_applies_and_is_undone(build: Builder) -> None:
    gate = await build(rpm=100)
    gate.book.replace(RuntimeLimits(providers={"openai": ScopeLimits(rpm=1)}))
    assert gate.headroom.limits["openai"] == HeadroomLimits(rpm=1)
    await (await admit(gate, CENT, user_id=None)).succeeded(CENT)
    assert (await _skip(gate)).reason == "no_headroom"
    gate.book.replace(RuntimeLimits())
    assert gate.headroom.limits["openai"] == HeadroomLimits(rpm=100)


async def _skip(gate: Gate) -> Skip:
    with pytest.raises(Skip) as caught:
        await admit(gate, CENT, user_id=None)
    return caught.value


async def test_a_team_budget_holds_across_replicas_under_concurrency(build: Builder) -> None:
    """Three replicas (in memory: one process's gates), three members of one team, one burst:
    the team never spends past its budget though each member's own budget would allow more."""
    wide = LaneConfig(max_concurrent=1000, max_queue=0, max_wait_seconds=1)
    gates = [await build(lane=wide) for _ in range(3)]
    for gate in gates:
        gate.book.replace(teams(daily="0.3"))
    users = [USER, BOB, CAROL]

    async def attempt(index: int) -> bool:
        gate = gates[index % 3]
        try:
            ticket = await admit(gate, Decimal("0.03"), user_id=users[index // 3 % 3])
        except AppError:
            return False
        await ticket.succeeded(Decimal("0.02"))
        return True

    admitted = sum(await asyncio.gather(*(attempt(i) for i in range(90))))
    spent, reserved = await spent_reserved(gates[0], team_daily(gates[0]))
    assert reserved == 0
    assert spent == Decimal("0.02") * admitted <= Decimal("0.3")
    assert admitted >= 10  # 0.3 / 0.03: at least what fits when every call is in flight at once
