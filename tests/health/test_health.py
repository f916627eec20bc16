"""Liveness and readiness."""

from __future__ import annotations

from lockgate.db.migrate import downgrade
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient


async def test_live(client: ApiClient) -> None:
    response = await client.get("/health/live")
    assert response.json() == {"status": "ok"}


async def test_ready_when_migrated(client: ApiClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok"}


async def test_not_ready_when_migrations_are_behind(client: ApiClient, state: AppState) -> None:
    await downgrade(state.engine, "base")
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("at None")
