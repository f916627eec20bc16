"""Admin invites: a single-use link with an expiry, optionally for one address, stored hashed,
used from the registration page; the registration policy is respected."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import Invite
from lockgate.state import AppState
from tests.admin.kit import audit
from tests.fixtures.appkit import PASSWORD, ApiClient, api_client, make_config, running_app

Clients = tuple[ApiClient, ApiClient, AppState]


@pytest.fixture
async def world(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Callable[..., Awaitable[Clients]]]:
    async with AsyncExitStack() as stack:

        async def factory(registration: str = "invite") -> Clients:
            config = make_config(database_url, tmp_path, registration=registration)
            app, state = await stack.enter_async_context(running_app(config, clock))
            admin = await stack.enter_async_context(api_client(app))
            guest = await stack.enter_async_context(api_client(app))
            await admin.register("alice@example.com")
            return admin, guest, state

        yield factory


async def register(guest: ApiClient, email: str, code: str) -> Any:
    return await guest.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "invite_code": code}
    )


async def test_an_invite_link_registers_once_and_is_stored_hashed(world: Any) -> None:
    admin, guest, state = await world()
    created = await admin.post("/api/v1/admin/invites", json={"expires_in_hours": 24})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["path"] == f"/register?invite={body['code']}"
    assert len(body["code"]) >= 43  # 256 random bits, url-safe base64
    async with state.sessionmaker() as db:
        stored = (await db.scalars(select(Invite))).one()
    assert body["code"] not in stored.code_hash
    assert (await register(guest, "dan@example.com", body["code"])).status_code == 201
    again = await register(guest, "eve@example.com", body["code"])
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "invalid_invite"


async def test_an_invite_for_an_address_refuses_another(world: Any) -> None:
    admin, guest, _ = await world()
    code = (await admin.post("/api/v1/admin/invites", json={"email": " Dan@Example.com"})).json()[
        "code"
    ]
    assert (await register(guest, "mallory@example.com", code)).status_code == 403
    assert (await register(guest, "dan@example.com", code)).status_code == 201


async def test_an_expired_invite_is_refused(world: Any, clock: FakeClock) -> None:
    admin, guest, _ = await world()
    code = (await admin.post("/api/v1/admin/invites", json={"expires_in_hours": 1})).json()["code"]
    clock.advance(hours=1)
    assert (await register(guest, "dan@example.com", code)).status_code == 403


async def test_a_revoked_invite_is_refused_and_leaves_the_pending_list(world: Any) -> None:
    admin, guest, _ = await world()
    created = (await admin.post("/api/v1/admin/invites", json={"email": "dan@example.com"})).json()
    pending = (await admin.get("/api/v1/admin/invites")).json()
    assert [(i["id"], i["email"]) for i in pending] == [(created["id"], "dan@example.com")]
    assert "code" not in pending[0]  # shown once, at creation
    assert (await admin.delete(f"/api/v1/admin/invites/{created['id']}")).status_code == 204
    assert (await admin.get("/api/v1/admin/invites")).json() == []
    assert (await register(guest, "dan@example.com", created["code"])).status_code == 403
    actions = [e["action"] for e in await audit(admin, target_type="invite")]
    assert sorted(actions) == ["invite.created", "invite.revoked"]


async def test_invites_are_refused_when_registration_is_first_user_only(world: Any) -> None:
    admin, _, _ = await world("first-user-only")
    response = await admin.post("/api/v1/admin/invites", json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "registration_closed"


async def test_an_open_server_uses_up_an_invite_too(world: Any) -> None:
    admin, guest, _ = await world("open")
    code = (await admin.post("/api/v1/admin/invites", json={})).json()["code"]
    assert (await register(guest, "dan@example.com", code)).status_code == 201
    assert (await admin.get("/api/v1/admin/invites")).json() == []


async def test_every_invite_is_audited_and_the_unaudited_legacy_path_is_gone(world: Any) -> None:
    """Invites are made in one place, the console's, which writes an audit row; the old
    ``POST /api/v1/invites`` (no audit row) no longer exists."""
    admin, _, _ = await world()
    legacy = await admin.post("/api/v1/invites", json={})
    assert legacy.status_code in (404, 405), legacy.text
    created = (await admin.post("/api/v1/admin/invites", json={})).json()
    rows = await audit(admin, target_type="invite")
    assert [(r["action"], r["target_id"]) for r in rows] == [("invite.created", created["id"])]
