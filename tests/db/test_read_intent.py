"""On SQLite, reads never take the write lock: a sign-in check, every GET and the read phase of a
chat send run while another connection holds it (WAL lets one writer and many readers work at
once). Before, every transaction began IMMEDIATE and a GET waited out the other's write."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lockgate.clock import FakeClock
from lockgate.db.engine import create_engine, create_sessionmaker, reading
from tests.fixtures.appkit import api_client, make_config, migrated_sqlite_url, running_app


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another process's writer, mid-transaction."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_read_transaction_does_not_wait_for_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as db:
            await db.execute(text("CREATE TABLE t (x INTEGER)"))
            await db.commit()
        with write_lock_held(str(path)):
            async with sessions() as db:
                await reading(db)
                assert (await asyncio.wait_for(db.scalar(text("SELECT count(*) FROM t")), 5)) == 0
            async with sessions() as db:  # a write still waits for the writer (then gives up)
                await reading(db)
                await db.execute(text("PRAGMA busy_timeout=200"))
                with pytest.raises(OperationalError, match="locked"):
                    await db.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        await engine.dispose()


async def test_gets_answer_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async with (
        running_app(make_config(url, tmp_path), FakeClock()) as (app, _state),
        api_client(app) as client,
    ):
        await client.register("reader@example.com")
        created = await client.post("/api/v1/conversations", json={})
        conversation = created.json()["id"]
        with write_lock_held(url.split("///", 1)[1]):
            listed = await asyncio.wait_for(client.get("/api/v1/conversations"), 5)
            opened = await asyncio.wait_for(client.get(f"/api/v1/conversations/{conversation}"), 5)
            me = await asyncio.wait_for(client.get("/api/v1/auth/me"), 5)
        assert listed.status_code == 200
        assert opened.status_code == 200
        assert me.status_code == 200
