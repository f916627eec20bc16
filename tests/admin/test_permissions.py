"""Every admin endpoint refuses a non-admin (403 ``admin_only``, nothing changed), a signed-out
caller (401), and a state change without the CSRF token (403 ``csrf_failed``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.kit import audit, user_id
from tests.fixtures.appkit import ApiClient

SOMEONE = "00000000-0000-4000-8000-000000000000"
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/admin/users", None),
    ("GET", "/api/v1/admin/users/{bob}", None),
    ("PUT", "/api/v1/admin/users/{bob}/role", {"role": "admin"}),
    ("POST", "/api/v1/admin/users/{alice}/disable", None),
    ("POST", "/api/v1/admin/users/{alice}/enable", None),
    ("PUT", "/api/v1/admin/users/{bob}/limits", {"daily_budget_usd": "1000"}),
    ("GET", "/api/v1/admin/invites", None),
    ("POST", "/api/v1/admin/invites", {}),
    ("DELETE", f"/api/v1/admin/invites/{SOMEONE}", None),
    ("GET", "/api/v1/admin/audit", None),
    ("GET", "/api/v1/admin/audit/export.csv", None),
    ("GET", "/api/v1/admin/spend", None),
    ("GET", "/api/v1/admin/spend/export.csv", None),
    ("POST", "/api/v1/admin/providers/simulated/check", None),
]
IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]


async def call(client: ApiClient, method: str, path: str, body: Any, ids: dict[str, str]) -> Any:
    return await client.request(method, path.format(**ids), json=body)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
async def test_a_non_admin_is_refused_403(
    admin: ApiClient, member: ApiClient, method: str, path: str, body: Any
) -> None:
    ids = {
        "alice": await user_id(admin, "alice@example.com"),
        "bob": await user_id(admin, "bob@example.com"),
    }
    response = await call(member, method, path, body, ids)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "admin_only"
    assert await audit(admin) == []
    me = (await admin.get(f"/api/v1/admin/users/{ids['alice']}")).json()
    assert (me["is_active"], me["is_admin"]) == (True, True)
    bob = (await admin.get(f"/api/v1/admin/users/{ids['bob']}")).json()
    assert (bob["is_admin"], bob["has_override"]) == (False, False)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
async def test_a_signed_out_caller_is_401(
    other_client: ApiClient, method: str, path: str, body: Any
) -> None:
    response = await call(other_client, method, path, body, {"alice": SOMEONE, "bob": SOMEONE})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"), [e for e in ENDPOINTS if e[0] != "GET"], ids=lambda v: str(v)
)
async def test_a_state_change_without_the_csrf_token_is_403(
    admin: ApiClient, member: ApiClient, method: str, path: str, body: Any
) -> None:
    ids = {
        "alice": await user_id(admin, "alice@example.com"),
        "bob": await user_id(admin, "bob@example.com"),
    }
    admin.csrf_enabled = False
    try:
        response = await call(admin, method, path, body, ids)
    finally:
        admin.csrf_enabled = True
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
