"""Async engine and session factory for SQLite (default) and PostgreSQL.

On SQLite a transaction that will write takes the write lock when it begins (``BEGIN
IMMEDIATE``), so concurrent writers queue on the busy timeout instead of failing; a transaction
that only reads begins deferred (`reading`) and never takes that lock: in WAL mode readers and
the one writer do not block each other. A request's sign-in check, every GET, and the read phase
of a chat send are reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

INTENT: Final = "lockgate_intent"
READ_OPTIONS: Final = {INTENT: "read"}


async def reading(session: AsyncSession) -> None:
    """Make the session's next transaction a read: on SQLite it begins deferred, without the
    write lock. Call it before the transaction's first statement (right after a commit, or on a
    new session); a statement that writes in it would still work, but may fail with "database
    is locked" when another writer committed meanwhile, so write in a transaction of its own."""
    await session.connection(execution_options=READ_OPTIONS)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Create the engine; for SQLite turn on WAL, foreign keys and a busy timeout.

    Example::

        engine = create_engine("sqlite+aiosqlite:///data/lockgate.db")
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We emit BEGIN ourselves (below); the driver's implicit, deferred BEGIN can deadlock two
    # connections that both read and then write ("database is locked" without waiting).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _sqlite_begin_immediate(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, so concurrent writers queue on busy_timeout
    # instead of failing; readers are not blocked in WAL mode. A read (see `reading`) needs no
    # lock and begins deferred.
    if conn.get_execution_options().get(INTENT) == "read":
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
