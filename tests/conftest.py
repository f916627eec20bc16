"""Suite-wide fixtures. Servers (PostgreSQL, Redis) come from tests/fixtures/pytest_plugin.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.fixtures.appkit import (
    ApiClient,
    PostgresTemplates,
    api_client,
    make_config,
    migrated_sqlite_url,
    running_app,
)
from tests.fixtures.postgres import PostgresServer

pytest_plugins = ["tests.fixtures.pytest_plugin"]


@pytest.fixture(scope="session")
def pg_templates(postgres_server: PostgresServer) -> PostgresTemplates:
    return PostgresTemplates(postgres_server.libpq_dsn("postgres"), postgres_server.dsn("postgres"))


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database of each kind: every test using it runs on both."""
    if request.param == "sqlite":
        return await migrated_sqlite_url(tmp_path)
    templates: PostgresTemplates = request.getfixturevalue("pg_templates")
    return await templates.new_database()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app_state(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[object, AppState]]:
    async with running_app(make_config(database_url, tmp_path), clock) as pair:
        yield pair


@pytest.fixture
def state(app_state: tuple[object, AppState]) -> AppState:
    return app_state[1]


@pytest.fixture
async def client(app_state: tuple[object, AppState]) -> AsyncIterator[ApiClient]:
    app, _ = app_state
    async with api_client(app) as c:  # type: ignore[arg-type]
        yield c


@pytest.fixture
async def user_client(client: ApiClient) -> ApiClient:
    """A signed-in user (the first one, so an admin)."""
    await client.register("alice@example.com")
    return client


@pytest.fixture
async def other_client(app_state: tuple[object, AppState]) -> AsyncIterator[ApiClient]:
    """A second, independent browser."""
    app, _ = app_state
    async with api_client(app) as c:  # type: ignore[arg-type]
        yield c
