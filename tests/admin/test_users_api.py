"""User administration over the API: search, roles (never the last admin), disable/enable,
and the audit row every change writes (same transaction, with before and after)."""

from __future__ import annotations

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.admin.kit import audit, user_id
from tests.fixtures.appkit import PASSWORD, ApiClient, api_client


async def test_users_are_listed_by_email_searched_and_paginated(
    admin: ApiClient, member: ApiClient, app_state: tuple[object, AppState]
) -> None:
    async with api_client(app_state[0]) as c:  # type: ignore[arg-type]
        await c.register("carol@example.com")
    first = (await admin.get("/api/v1/admin/users", params={"limit": 2})).json()
    assert [u["email"] for u in first["items"]] == ["alice@example.com", "bob@example.com"]
    assert first["items"][0]["is_admin"] is True
    second = (
        await admin.get("/api/v1/admin/users", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [u["email"] for u in second["items"]] == ["carol@example.com"]
    assert second["next_cursor"] is None
    found = (await admin.get("/api/v1/admin/users", params={"q": " CAR"})).json()
    assert [u["email"] for u in found["items"]] == ["carol@example.com"]
    admins = (await admin.get("/api/v1/admin/users", params={"status": "admin"})).json()
    assert [u["email"] for u in admins["items"]] == ["alice@example.com"]


async def test_a_forged_cursor_is_400(admin: ApiClient) -> None:
    response = await admin.get("/api/v1/admin/users", params={"cursor": "bm9wZQ"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_role_change_is_applied_and_audited_with_before_and_after(
    admin: ApiClient, member: ApiClient
) -> None:
    bob = await user_id(admin, "bob@example.com")
    response = await admin.put(f"/api/v1/admin/users/{bob}/role", json={"role": "admin"})
    assert response.status_code == 200, response.text
    assert response.json()["is_admin"] is True
    assert (await member.get("/api/v1/admin/users")).status_code == 200  # bob is an admin now
    [entry] = await audit(admin, action="user.role_changed")
    assert entry["target_id"] == bob
    assert entry["target_label"] == "bob@example.com"
    assert entry["actor_email"] == "alice@example.com"
    assert (entry["before"], entry["after"]) == ({"is_admin": False}, {"is_admin": True})
    assert entry["request_id"]


async def test_the_last_admin_cannot_demote_or_disable_themselves(admin: ApiClient) -> None:
    me = await user_id(admin, "alice@example.com")
    demote = await admin.put(f"/api/v1/admin/users/{me}/role", json={"role": "user"})
    assert demote.status_code == 409
    assert demote.json()["error"]["code"] == "last_admin"
    disable = await admin.post(f"/api/v1/admin/users/{me}/disable")
    assert disable.status_code == 409
    assert disable.json()["error"]["code"] == "last_admin"
    assert (await admin.get("/api/v1/auth/me")).json()["is_admin"] is True
    assert await audit(admin) == []  # nothing changed, nothing logged


async def test_an_admin_may_step_down_when_another_admin_remains(
    admin: ApiClient, member: ApiClient
) -> None:
    bob = await user_id(admin, "bob@example.com")
    me = await user_id(admin, "alice@example.com")
    await admin.put(f"/api/v1/admin/users/{bob}/role", json={"role": "admin"})
    response = await admin.put(f"/api/v1/admin/users/{me}/role", json={"role": "user"})
    assert response.status_code == 200
    assert (await admin.get("/api/v1/admin/users")).json()["error"]["code"] == "admin_only"


async def test_disable_signs_out_at_once_and_revokes_keys(
    admin: ApiClient, member: ApiClient, state: AppState
) -> None:
    key = (await member.post("/api/v1/keys", json={"name": "bob's"})).json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert (await member.get("/v1/models", headers=headers)).status_code == 200  # cached now
    bob = await user_id(admin, "bob@example.com")
    response = await admin.post(f"/api/v1/admin/users/{bob}/disable")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    me = await member.get("/api/v1/auth/me")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "account_disabled"
    refused = await member.get("/v1/models", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "revoked_api_key"
    [entry] = await audit(admin, action="user.disabled")
    assert entry["before"] == {"is_active": True}
    assert entry["after"] == {
        "is_active": False,
        "revoked_sessions": 1,
        "revoked_keys": [key["id"]],
    }


async def test_a_disabled_user_cannot_sign_in_and_is_told_why(
    admin: ApiClient, member: ApiClient
) -> None:
    bob = await user_id(admin, "bob@example.com")
    await admin.post(f"/api/v1/admin/users/{bob}/disable")
    login = await member.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert login.status_code == 403
    assert login.json()["error"]["code"] == "account_disabled"
    wrong = await member.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": "not the password"}
    )
    assert wrong.json()["error"]["code"] == "invalid_credentials"  # nothing said without it


async def test_enable_lets_the_user_sign_in_again(
    admin: ApiClient, member: ApiClient, clock: FakeClock
) -> None:
    bob = await user_id(admin, "bob@example.com")
    await admin.post(f"/api/v1/admin/users/{bob}/disable")
    clock.advance(seconds=1)
    enabled = await admin.post(f"/api/v1/admin/users/{bob}/enable")
    assert enabled.json()["is_active"] is True
    login = await member.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    actions = [e["action"] for e in await audit(admin, action="user.")]
    assert actions == ["user.enabled", "user.disabled"]


async def test_an_unknown_user_is_404(admin: ApiClient) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    response = await admin.post(f"/api/v1/admin/users/{missing}/disable")
    assert response.status_code == 404


async def test_user_detail_counts_keys_and_sessions(admin: ApiClient, member: ApiClient) -> None:
    await member.post("/api/v1/keys", json={"name": "k"})
    bob = await user_id(admin, "bob@example.com")
    detail = (await admin.get(f"/api/v1/admin/users/{bob}")).json()
    assert (detail["active_keys"], detail["active_sessions"]) == (1, 1)
    assert detail["limits"]["override"] is None
