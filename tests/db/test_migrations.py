"""Migrations run identically on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from lockgate.db.base import Base
from lockgate.db.engine import create_engine
from lockgate.db.migrate import current_revision, downgrade, head_revision, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    else:
        url = await request.getfixturevalue("pg_templates").empty_database()
    engine = create_engine(url)
    yield engine
    await engine.dispose()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_upgrade_reaches_head_and_matches_the_models(empty_engine: AsyncEngine) -> None:
    await upgrade(empty_engine)
    assert await current_revision(empty_engine) == head_revision()
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_downgrade_to_base_and_back(empty_engine: AsyncEngine) -> None:
    await upgrade(empty_engine)
    await downgrade(empty_engine, "base")
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(_tables) == set()
    await upgrade(empty_engine)
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(_tables) == set(Base.metadata.tables)
