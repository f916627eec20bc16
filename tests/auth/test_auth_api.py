"""Accounts and sessions over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.fixtures.appkit import PASSWORD, ApiClient


async def test_register_signs_in_and_first_user_is_admin(client: ApiClient) -> None:
    body = await client.register("Alice@Example.com")
    assert body["user"]["email"] == "alice@example.com"
    assert body["user"]["is_admin"] is True
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"


async def test_second_user_is_not_admin(client: ApiClient, other_client: ApiClient) -> None:
    await client.register("alice@example.com")
    body = await other_client.register("bob@example.com")
    assert body["user"]["is_admin"] is False


async def test_session_cookie_is_httponly_lax_and_csrf_cookie_readable(client: ApiClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "a@example.com", "password": PASSWORD}
    )
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("lockgate_session="))
    csrf = next(c for c in cookies if c.startswith("lockgate_csrf="))
    assert "HttpOnly" in session
    assert "samesite=lax" in session.lower()
    assert "HttpOnly" not in csrf
    assert response.json()["csrf_token"] == client.cookies["lockgate_csrf"]


async def test_wrong_password_is_401_invalid_credentials(client: ApiClient) -> None:
    await client.register("alice@example.com")
    response = await client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_unknown_email_gets_the_same_error_as_wrong_password(client: ApiClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_duplicate_email_is_409_and_keeps_the_first_account(
    client: ApiClient, other_client: ApiClient
) -> None:
    await client.register("alice@example.com")
    response = await other_client.post(
        "/api/v1/auth/register",
        json={"email": "ALICE@example.com", "password": "another good password"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    login = await other_client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "at least"),
        ("aaaaaaaaaaaaaaaa", "different characters"),
        ("password123", "too common"),
        ("alice-secret-pw", "email"),
    ],
)
async def test_weak_password_is_422_weak_password(
    client: ApiClient, password: str, reason: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "alice@example.com", "password": password}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "weak_password"
    assert reason in response.json()["error"]["message"]
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_invalid_email_is_422(client: ApiClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "not-an-email", "password": PASSWORD}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "email" in response.json()["error"]["message"]


async def test_login_rotates_the_session_token(client: ApiClient) -> None:
    await client.register("alice@example.com")
    first = client.cookies["lockgate_session"]
    response = await client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert client.cookies["lockgate_session"] != first


async def test_logout_revokes_the_session_server_side(client: ApiClient) -> None:
    await client.register("alice@example.com")
    stolen = client.cookies["lockgate_session"]
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    client.cookies.set("lockgate_session", stolen)
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_revoked"


async def test_idle_session_expires(client: ApiClient, clock: FakeClock, state: AppState) -> None:
    await client.register("alice@example.com")
    clock.advance(seconds=state.config.settings.session_idle_seconds + 1)
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"


async def test_activity_keeps_a_session_alive_until_the_absolute_limit(
    client: ApiClient, clock: FakeClock, state: AppState
) -> None:
    await client.register("alice@example.com")
    settings = state.config.settings
    step = settings.session_idle_seconds // 2
    elapsed = 0
    while elapsed + step < settings.session_absolute_seconds:
        clock.advance(seconds=step)
        elapsed += step
        assert (await client.get("/api/v1/auth/me")).status_code == 200
    clock.advance(seconds=settings.session_absolute_seconds - elapsed)
    response = await client.get("/api/v1/auth/me")
    assert response.json()["error"]["code"] == "session_expired"


async def test_garbage_session_cookie_is_401(client: ApiClient) -> None:
    client.cookies.set("lockgate_session", "forged")
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401


async def test_change_password_signs_out_other_sessions(
    client: ApiClient, other_client: ApiClient
) -> None:
    await client.register("alice@example.com")
    login = await other_client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    response = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert response.status_code == 204
    assert (await other_client.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    relogin = await other_client.post(
        "/api/v1/auth/login",
        json={"email": "alice@example.com", "password": "a brand new passphrase"},
    )
    assert relogin.status_code == 200


async def test_change_password_with_wrong_current_password_changes_nothing(
    client: ApiClient,
) -> None:
    await client.register("alice@example.com")
    response = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "not it at all", "new_password": "a brand new passphrase"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    relogin = await client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert relogin.status_code == 200


async def test_list_and_revoke_own_sessions(client: ApiClient, other_client: ApiClient) -> None:
    await client.register("alice@example.com")
    await other_client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    sessions = (await client.get("/api/v1/auth/sessions")).json()
    assert len(sessions) == 2
    other = next(s for s in sessions if not s["current"])
    assert (await client.delete(f"/api/v1/auth/sessions/{other['id']}")).status_code == 204
    assert (await other_client.get("/api/v1/auth/me")).status_code == 401
    assert len((await client.get("/api/v1/auth/sessions")).json()) == 1


async def test_cannot_revoke_someone_elses_session(
    client: ApiClient, other_client: ApiClient
) -> None:
    await client.register("alice@example.com")
    await other_client.register("bob@example.com")
    bob_session = (await other_client.get("/api/v1/auth/sessions")).json()[0]["id"]
    response = await client.delete(f"/api/v1/auth/sessions/{bob_session}")
    assert response.status_code == 404
    assert (await other_client.get("/api/v1/auth/me")).status_code == 200


async def test_missing_csrf_token_is_403_and_changes_nothing(client: ApiClient) -> None:
    await client.register("alice@example.com")
    client.csrf_enabled = False
    response = await client.post("/api/v1/conversations", json={"title": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    client.csrf_enabled = True
    assert (await client.get("/api/v1/conversations")).json()["items"] == []


async def test_wrong_csrf_token_is_403(client: ApiClient) -> None:
    await client.register("alice@example.com")
    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "not-the-token"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert (await client.get("/api/v1/auth/me")).status_code == 200


async def test_another_sessions_csrf_token_is_rejected(
    client: ApiClient, other_client: ApiClient
) -> None:
    await client.register("alice@example.com")
    await other_client.register("bob@example.com")
    response = await client.post(
        "/api/v1/conversations",
        json={"title": "x"},
        headers={"X-CSRF-Token": other_client.cookies["lockgate_csrf"]},
    )
    assert response.status_code == 403
