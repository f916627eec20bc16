"""Two app instances sharing PostgreSQL and Redis: an admin's change on one is applied by the
other at once — a disabled user's key stops working there (its cached entry is dropped over
pub/sub, not left to expire), and a lowered budget refuses the user's next chat there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.admin.kit import user_id
from tests.admin.test_limits_api import chat, file_config
from tests.fixtures.appkit import ApiClient, PostgresTemplates, api_client, make_config, running_app

Replica = tuple[ApiClient, ApiClient, AppState]  # (alice, bob, state)


@pytest.fixture
async def replicas(
    pg_templates: PostgresTemplates, redis_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[list[Replica]]:
    url = await pg_templates.new_database()
    async with AsyncExitStack() as stack:
        out: list[Replica] = []
        for i in range(2):
            data = tmp_path / f"replica{i}"
            data.mkdir()
            config = make_config(
                url, data, file=file_config(), redis_url=redis_url, key_cache_seconds=3600
            )
            app, state = await stack.enter_async_context(running_app(config, clock))
            alice = await stack.enter_async_context(api_client(app))
            bob = await stack.enter_async_context(api_client(app))
            out.append((alice, bob, state))
        await out[0][0].register("alice@example.com")
        await out[0][1].register("bob@example.com")
        for name, (_, bob_here, _) in zip(("a", "b"), out, strict=True):
            login = await bob_here.post(
                "/api/v1/auth/login",
                json={"email": "bob@example.com", "password": "correct horse battery staple"},
            )
            assert login.status_code == 200, name
        yield out


async def eventually(check: Callable[[], Awaitable[bool]]) -> int:
    """Tries until ``check`` holds (a pub/sub message is in flight); how many tries it took."""
    for attempt in range(1, 201):
        if await check():
            return attempt
        await asyncio.sleep(0.01)
    raise AssertionError("never held")


async def test_disable_on_one_replica_kills_the_session_and_key_on_the_other(
    replicas: list[Replica],
) -> None:
    (alice_a, _, _), (_, bob_b, state_b) = replicas
    key = (await bob_b.post("/api/v1/keys", json={"name": "k"})).json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert (await bob_b.get("/v1/models", headers=headers)).status_code == 200
    assert len(state_b.key_cache._entries) == 1  # cached on B for an hour
    bob = await user_id(alice_a, "bob@example.com")
    assert (await alice_a.post(f"/api/v1/admin/users/{bob}/disable")).status_code == 200
    me = await bob_b.get("/api/v1/auth/me")
    assert me.json()["error"]["code"] == "account_disabled"

    async def refused() -> bool:
        response: httpx.Response = await bob_b.get("/v1/models", headers=headers)
        return response.status_code == 401

    assert await eventually(refused) <= 10


async def test_a_lowered_budget_on_one_replica_refuses_the_next_chat_on_the_other(
    replicas: list[Replica],
) -> None:
    (alice_a, _, _), (_, bob_b, state_b) = replicas
    assert (await chat(bob_b)).status_code == 200
    bob = await user_id(alice_a, "bob@example.com")
    await alice_a.put(f"/api/v1/admin/users/{bob}/limits", json={"daily_budget_usd": "0"})

    async def applied() -> bool:
        return state_b.gate.book.current.user(uuid.UUID(bob)).daily_usd == Decimal(0)

    assert await eventually(applied) <= 10
    refused = await chat(bob_b)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "budget_exceeded"
