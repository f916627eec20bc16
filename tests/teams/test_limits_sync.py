"""Run-time limits reach every replica: at once over Redis pub/sub, and by the periodic
reconciliation when an announcement was lost. No sleep is a synchronisation here: the tests
wait (bounded) on the state they expect, and the reconciliation's sleep is driven by the test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.gate.headroom import HeadroomLimits
from lockgate.gate.runtime import LimitsBook
from lockgate.models import Team, TeamMember, User
from lockgate.state import AppState
from lockgate.teams.sync import LimitsSync
from tests.fixtures.appkit import (
    ApiClient,
    PostgresTemplates,
    api_client,
    make_config,
    migrated_sqlite_url,
    running_app,
)
from tests.fixtures.fake_time import until
from tests.teams.conftest import priced_file


@dataclass
class Replica:
    client: ApiClient
    state: AppState


@pytest.fixture
async def two_replicas(
    pg_templates: PostgresTemplates, redis_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Replica, Replica]]:
    """Two apps sharing one PostgreSQL and one Redis; one admin's browser on each."""
    config = make_config(
        await pg_templates.new_database(), tmp_path, file=priced_file(), redis_url=redis_url
    )
    async with AsyncExitStack() as stack:
        app_a, state_a = await stack.enter_async_context(running_app(config, clock))
        app_b, state_b = await stack.enter_async_context(running_app(config, clock))
        a = await stack.enter_async_context(api_client(app_a))
        b = await stack.enter_async_context(api_client(app_b))
        await a.register("admin@example.com")
        b.cookies.update(a.cookies)  # one browser, sent to either replica by the balancer
        for state in (state_a, state_b):
            assert state.limits is not None
            await asyncio.wait_for(state.limits.listening.wait(), 5)
        yield Replica(a, state_a), Replica(b, state_b)


async def test_a_team_budget_set_on_one_replica_applies_on_another_within_a_second(
    two_replicas: tuple[Replica, Replica],
) -> None:
    a, b = two_replicas
    created = await a.client.post("/api/v1/teams", json={"name": "Ops"})
    team = uuid.UUID(created.json()["id"])
    response = await a.client.put(f"/api/v1/teams/{team}/limits", json={"daily_usd": "7"})
    assert response.status_code == 200
    started = time.monotonic()  # committed: from here on it must apply everywhere
    assert a.state.gate.book.current.team(team).daily_usd == Decimal("7")  # here: at once
    await until(lambda: b.state.gate.book.current.team(team).daily_usd == Decimal("7"), 1.0)
    assert time.monotonic() - started < 1.0


async def test_a_provider_rpm_set_on_one_replica_applies_to_the_others_headroom(
    two_replicas: tuple[Replica, Replica],
) -> None:
    a, b = two_replicas
    await a.client.put("/api/v1/limits/providers/sim", json={"rpm": 3})
    ceilings = b.state.gate.headroom.limits
    await until(lambda: ceilings.get("sim", HeadroomLimits()).rpm == 3, 1.0)
    await a.client.delete("/api/v1/limits/providers/sim")
    await until(lambda: ceilings.get("sim", HeadroomLimits()).rpm is None, 1.0)


class Ticks:
    """The reconciliation's sleep, driven by the test: each `tick` lets one sleep return."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, _seconds: float) -> None:
        await self._queue.get()

    def tick(self) -> None:
        self._queue.put_nowait(None)


async def test_a_lost_announcement_heals_at_the_next_reconciliation(tmp_path: Path) -> None:
    engine = create_engine(await migrated_sqlite_url(tmp_path))
    sessionmaker = create_sessionmaker(engine)
    book, ticks = LimitsBook(), Ticks()
    sync = LimitsSync(book, sessionmaker, None, interval=30, sleep=ticks)
    try:
        await sync.start()
        assert book.current.teams == {}
        async with sessionmaker() as db:  # a change whose announcement never came
            user = User(email="x@example.com", password_hash="x")
            team = Team(name="Quiet", daily_budget_usd=Decimal("2"))
            db.add_all([user, team])
            await db.flush()
            db.add(TeamMember(user_id=user.id, team_id=team.id))
            await db.commit()
        assert book.current.teams == {}
        ticks.tick()
        await until(lambda: book.current.team_of(user.id, None) == team.id, 5)
        assert book.current.team(team.id).daily_usd == Decimal("2")
    finally:
        await sync.aclose()
        await engine.dispose()
