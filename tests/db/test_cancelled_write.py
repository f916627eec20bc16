"""On SQLite, a write cancelled mid-statement (a client gone, a task stopped at shutdown) releases
the write lock at once. Before, SQLAlchemy closed the connection with the statement still
referenced, SQLite kept it as a zombie holding the transaction, and every later writer waited out
the 30 s busy timeout and failed (a CI teardown hung on exactly this)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from lockgate.db.engine import create_engine, create_sessionmaker

BOUND = 10.0  # seconds a blocked statement may wait for the test before it gives up by itself


class Gate:
    """A SQL function, ``hold()``, that tells the test it is running and blocks its thread until
    the test lets it go: a statement cancelled while it is surely in progress, without a sleep."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.running = asyncio.Event()
        self.release = threading.Event()

    def hold(self) -> int:
        self.loop.call_soon_threadsafe(self.running.set)
        self.release.wait(BOUND)
        return 1


def write_lock_free(path: Path) -> bool:
    """Can another connection take the write lock right now (no waiting)?"""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_a_write_cancelled_mid_statement_leaves_no_lock_and_no_row(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    gate = Gate(asyncio.get_running_loop())

    def register(connection: Any, _record: Any) -> None:
        connection.create_function("hold", 0, gate.hold)

    event.listen(engine.sync_engine, "connect", register)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as db:
            await db.execute(text("CREATE TABLE t (x INTEGER)"))
            await db.commit()

        async def write() -> None:
            async with sessions() as db:
                await db.execute(text("INSERT INTO t VALUES (1)"))
                await db.execute(text("SELECT hold()"))
                await db.commit()

        task = asyncio.create_task(write())
        await asyncio.wait_for(gate.running.wait(), BOUND)
        task.cancel()
        gate.release.set()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()

        assert write_lock_free(path)
        async with sessions() as db:  # the pool hands out a working connection again
            await db.execute(text("INSERT INTO t VALUES (2)"))
            await db.commit()
            assert (await db.scalars(text("SELECT x FROM t"))).all() == [2]
    finally:
        gate.release.set()
        await engine.dispose()
