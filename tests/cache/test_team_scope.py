"""``cache.scope: team``: the members of a team (and the keys that pay into it) share answers;
two teams never do, and a caller in no team keeps to its own answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from tests.cache.kit import CacheWorld, Tenant, ask, file_config, open_world


@pytest.fixture
async def world(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CacheWorld]:
    async with AsyncExitStack() as stack:
        file = file_config({"scope": "team"})
        yield await open_world(stack, tmp_path, clock, monkeypatch, file=file)


async def status(tenant: Tenant, body: dict[str, Any]) -> str:
    raw = await tenant.sdk.chat.completions.with_raw_response.create(**body)
    value: str = raw.headers["x-lockgate-cache"]
    return value


async def team(admin: Tenant, name: str, *members: str) -> str:
    created = await admin.web.post("/api/v1/teams", json={"name": name})
    assert created.status_code == 201, created.text
    team_id: str = created.json()["id"]
    for email in members:
        added = await admin.web.post(f"/api/v1/teams/{team_id}/members", json={"email": email})
        assert added.status_code == 201, added.text
    return team_id


async def test_a_team_shares_answers_and_two_teams_never_do(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")  # the first account: an admin
    bob = await world.tenant("bob@example.com")
    carol = await world.tenant("carol@example.com")
    dave = await world.tenant("dave@example.com")
    await team(alice, "A", "alice@example.com", "bob@example.com")
    await team(alice, "B", "carol@example.com")
    seen = [
        await status(alice, ask()),  # team A stores it
        await status(bob, ask()),  # team A: shared
        await status(carol, ask()),  # team B: its own
        await status(dave, ask()),  # no team: his own
        await status(carol, ask()),  # team B's answer now
    ]
    assert seen == ["miss", "hit", "miss", "miss", "hit"]
    assert len(world.calls.prompts) == 3


async def test_a_member_who_leaves_no_longer_gets_the_teams_answers(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    team_id = await team(alice, "A", "alice@example.com", "bob@example.com")
    assert await status(alice, ask()) == "miss"
    removed = await alice.web.delete(f"/api/v1/teams/{team_id}/members/{bob.user_id}")
    assert removed.status_code == 204
    assert await status(bob, ask()) == "miss"
