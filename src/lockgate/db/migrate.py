"""Apply and inspect Alembic migrations from code, on SQLite and PostgreSQL alike.

Example::

    await upgrade(engine)             # to head
    await pending_revisions(engine)   # [] when the schema is current

On SQLite, Alembic's batch mode changes a table by copying it, dropping the old one and renaming
the copy. With foreign keys enforced, dropping ``conversations`` would cascade-delete every message
(and ``users`` every conversation), so a migration runs with enforcement off, and checks the
foreign keys itself before it commits (`PRAGMA foreign_key_check`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at nothing (SQLite); it was rolled back."""


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


async def _migrate(engine: AsyncEngine, step: Callable[[Config], None]) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        step(cfg)

    async with engine.connect() as conn, _foreign_keys_off(conn) as sqlite, conn.begin():
        await conn.run_sync(run)
        if sqlite:
            broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise ForeignKeyViolation(f"rows point at nothing after migrating: {broken}")


@asynccontextmanager
async def _foreign_keys_off(conn: AsyncConnection) -> AsyncIterator[bool]:
    """On SQLite, foreign keys unenforced on this connection meanwhile (module docstring); the
    pragma only takes effect outside a transaction, so it goes to the driver before any BEGIN."""
    if conn.dialect.name != "sqlite":
        yield False
        return
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None  # a live, checked-out connection
    await driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield True
    finally:
        await driver.execute("PRAGMA foreign_keys=ON")


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def autogenerate(engine_url: str, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the models and a migrated database.

    Used by ``make migration m="..."`` during development (sync, run outside the app).
    """
    from sqlalchemy import create_engine

    sync_url = engine_url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    engine = create_engine(sync_url)
    with engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
