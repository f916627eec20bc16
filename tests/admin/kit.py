"""Helpers of the admin console's tests."""

from __future__ import annotations

from typing import Any

from tests.fixtures.appkit import ApiClient


async def user_id(admin: ApiClient, email: str) -> str:
    page = (await admin.get("/api/v1/admin/users", params={"q": email})).json()
    found: list[dict[str, Any]] = [u for u in page["items"] if u["email"] == email]
    assert found, page
    return str(found[0]["id"])


async def audit(admin: ApiClient, **params: str) -> list[dict[str, Any]]:
    response = await admin.get("/api/v1/admin/audit", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
