"""Registration policies: open, invite, first-user-only; and sign-in attempt limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from tests.fixtures.appkit import PASSWORD, ApiClient, api_client, make_config, running_app


@pytest.fixture
async def make_clients(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Any]:
    """Factory: (settings overrides) -> two clients on one app."""
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:

        async def factory(**settings: Any) -> tuple[ApiClient, ApiClient]:
            config = make_config(database_url, tmp_path, **settings)
            app, _ = await stack.enter_async_context(running_app(config, clock))
            first = await stack.enter_async_context(api_client(app))
            second = await stack.enter_async_context(api_client(app))
            return first, second

        yield factory


async def test_first_user_only_closes_registration_after_the_first(make_clients: Any) -> None:
    admin, other = await make_clients(registration="first-user-only")
    await admin.register("admin@example.com")
    response = await other.post(
        "/api/v1/auth/register", json={"email": "late@example.com", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "registration_closed"


async def test_invite_policy_requires_a_valid_single_use_code(make_clients: Any) -> None:
    admin, other = await make_clients(registration="invite")
    await admin.register("admin@example.com")
    no_code = await other.post(
        "/api/v1/auth/register", json={"email": "b@example.com", "password": PASSWORD}
    )
    assert no_code.status_code == 403
    assert no_code.json()["error"]["code"] == "invalid_invite"
    code = (await admin.post("/api/v1/admin/invites", json={})).json()["code"]
    ok = await other.post(
        "/api/v1/auth/register",
        json={"email": "b@example.com", "password": PASSWORD, "invite_code": code},
    )
    assert ok.status_code == 201
    reused = await admin.post(
        "/api/v1/auth/register",
        json={"email": "c@example.com", "password": PASSWORD, "invite_code": code},
    )
    assert reused.status_code == 403
    assert reused.json()["error"]["code"] == "invalid_invite"


async def test_non_admin_cannot_create_invites(make_clients: Any) -> None:
    admin, other = await make_clients()
    await admin.register("admin@example.com")
    await other.register("user@example.com")
    response = await other.post("/api/v1/admin/invites", json={})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_only"


async def test_sign_in_attempts_are_limited_per_account_with_retry_after(
    make_clients: Any,
) -> None:
    first, attacker = await make_clients(login_limit_per_account="3/minute")
    await first.register("alice@example.com")
    bad = {"email": "alice@example.com", "password": "guess guess guess"}
    statuses = [(await attacker.post("/api/v1/auth/login", json=bad)).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = await attacker.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) >= 1


async def test_sign_in_attempts_are_limited_per_ip(make_clients: Any) -> None:
    first, attacker = await make_clients(login_limit_per_ip="5/minute")
    await first.register("alice@example.com")  # counts as one attempt from this IP
    emails = [f"user{i}@example.com" for i in range(5)]
    statuses = [
        (
            await attacker.post("/api/v1/auth/login", json={"email": e, "password": PASSWORD})
        ).status_code
        for e in emails
    ]
    assert statuses == [401, 401, 401, 401, 429]
