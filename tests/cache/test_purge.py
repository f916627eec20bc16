"""Purging the response cache: a user their own entries (never another's: 404), an
administrator by scope or model (others: 403); CSRF like every unsafe request."""

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
        yield await open_world(stack, tmp_path, clock, monkeypatch)


async def status(tenant: Tenant, body: dict[str, Any]) -> str:
    raw = await tenant.sdk.chat.completions.with_raw_response.create(**body)
    value: str = raw.headers["x-lockgate-cache"]
    return value


async def cached_for_both(world: CacheWorld) -> tuple[Tenant, Tenant]:
    """Alice (the first user: an administrator) and Bob, each with answers in the cache."""
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    for tenant in (alice, bob):
        await status(tenant, ask())
        await status(tenant, {**ask(), "model": "sim-other"})
        await world.chat(tenant.web)
    return alice, bob


async def test_a_user_purges_their_own_entries_and_nobody_elses(world: CacheWorld) -> None:
    alice, bob = await cached_for_both(world)
    response = await bob.web.delete("/api/v1/cache")
    assert response.status_code == 200, response.text
    assert response.json() == {"removed": 3}  # two /v1 answers and one chat answer
    assert await status(bob, ask()) == "miss"
    _, events = await world.chat(bob.web)
    assert events[-2][1]["cached"] is False
    assert await status(alice, ask()) == "hit"
    _, events = await world.chat(alice.web)
    assert events[-2][1]["cached"] is True


async def test_a_user_may_narrow_the_purge_to_a_key_and_a_model(world: CacheWorld) -> None:
    _, bob = await cached_for_both(world)
    response = await bob.web.delete(
        "/api/v1/cache", params={"key_id": bob.key_id, "model": "sim-other"}
    )
    assert response.json() == {"removed": 1}
    assert await status(bob, {**ask(), "model": "sim-other"}) == "miss"
    assert await status(bob, ask()) == "hit"


async def test_another_users_key_is_not_found(world: CacheWorld) -> None:
    alice, bob = await cached_for_both(world)
    response = await bob.web.delete("/api/v1/cache", params={"key_id": alice.key_id})
    assert response.status_code == 404
    assert await status(alice, ask()) == "hit"


async def test_only_an_administrator_purges_by_scope_or_model(world: CacheWorld) -> None:
    alice, bob = await cached_for_both(world)
    refused = await bob.web.delete("/api/v1/admin/cache", params={"model": "sim-chat"})
    assert refused.status_code == 403
    by_scope = await alice.web.delete(
        "/api/v1/admin/cache", params={"scope": f"key:{bob.key_id.upper()}"}
    )
    assert by_scope.json() == {"removed": 2}
    assert await status(bob, ask()) == "miss"
    assert await status(alice, ask()) == "hit"
    by_model = await alice.web.delete("/api/v1/admin/cache", params={"model": "sim-other"})
    assert by_model.json() == {"removed": 1}  # alice's; bob's went with his key's scope
    assert await status(alice, {**ask(), "model": "sim-other"}) == "miss"
    bad = await alice.web.delete("/api/v1/admin/cache", params={"scope": "team:x"})
    assert bad.status_code == 422


async def test_a_purge_needs_the_csrf_token(world: CacheWorld) -> None:
    _, bob = await cached_for_both(world)
    bob.web.csrf_enabled = False
    response = await bob.web.delete("/api/v1/cache")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert await status(bob, ask()) == "hit"


async def test_a_purge_with_the_cache_off_says_so(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AsyncExitStack() as stack:
        world = await open_world(
            stack, tmp_path, clock, monkeypatch, file=file_config({"enabled": False})
        )
        alice = await world.tenant("alice@example.com")
        for path in ("/api/v1/cache", "/api/v1/admin/cache"):
            response = await alice.web.delete(path)
            assert response.status_code == 409
            assert response.json()["error"]["code"] == "cache_disabled"
