"""Async engine and session factory for SQLite (default) and PostgreSQL.

On SQLite a transaction that will write takes the write lock when it begins (``BEGIN
IMMEDIATE``), so concurrent writers queue on the busy timeout instead of failing; a transaction
that only reads begins deferred (`reading`) and never takes that lock: in WAL mode readers and
the one writer do not block each other. A request's sign-in check, every GET, and the read phase
of a chat send are reads.

A coroutine cancelled in the middle of a write (a client that goes away, a task stopped at
shutdown) makes SQLAlchemy close that connection. Closed as the driver does it, with a statement
of the cancelled call still referenced, SQLite keeps the connection as a "zombie" that still holds
its write transaction — every other writer then waits out the 30 s busy timeout and fails. Our
connections (`_Connection`) roll back before they close, so a cancelled write releases the lock
at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import aiosqlite
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
        engine = create_async_engine(
            url, echo=echo, async_creator=_sqlite_creator(database or ":memory:")
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


BUSY_TIMEOUT_SECONDS: Final = 30


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, except that closing it (gracefully or not) first ends a transaction
    left open, so a zombie connection never keeps the database's write lock (module docstring)."""

    async def close(self) -> None:
        if self._connection is None:
            return
        try:
            await self._execute(self._rollback_and_close)  # type: ignore[no-untyped-call]
        finally:
            self._connection = None
            stopped = self.stop()
            if stopped is not None:
                await stopped

    def stop(self) -> Any:
        # SQLAlchemy's forced termination: the worker thread rolls back, then closes and ends.
        self._tx.put_nowait((None, self._rollback))
        return super().stop()

    def _rollback(self) -> None:
        raw = self._connection
        if raw is not None and raw.in_transaction:
            raw.rollback()

    def _rollback_and_close(self) -> None:
        self._rollback()
        if self._connection is not None:
            self._connection.close()


def _sqlite_creator(database: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    def connect() -> sqlite3.Connection:
        return sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)

    async def create() -> aiosqlite.Connection:
        connection = _Connection(connect, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does: never hold the interpreter's exit
        return await connection

    return create


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We emit BEGIN ourselves (below); the driver's implicit, deferred BEGIN can deadlock two
    # connections that both read and then write ("database is locked" without waiting).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
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
