"""On SQLite, the chat path takes the write lock only to write, and the writes of many messages
share it: every ``BEGIN IMMEDIATE`` transaction of a sign-in check, GETs and sends writes
something (no read-only request takes the lock), and eight messages sent at once are written in
fewer transactions than messages (before the group writer: two or more per message, each its own
wait for the lock). What a send acknowledged is committed: a new connection reads it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lockgate.clock import FakeClock
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.models import Message, MessageStatus, UsageRecord
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send
from tests.fixtures.appkit import (
    ApiClient,
    api_client,
    make_config,
    migrated_sqlite_url,
    running_app,
)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class LockLog:
    """The statements of every write-locked (``BEGIN IMMEDIATE``) transaction on an engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.closed: list[list[str]] = []
        self._open: dict[int, list[str]] = {}
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync, "commit", self._end)
        event.listen(sync, "rollback", self._end)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.lstrip().upper()
        if words.startswith("BEGIN IMMEDIATE"):
            self._open[id(conn)] = []
        elif id(conn) in self._open:
            self._open[id(conn)].append(words)

    def _end(self, conn: Any) -> None:
        statements = self._open.pop(id(conn), None)
        if statements is not None:
            self.closed.append(statements)

    def read_only(self) -> list[list[str]]:
        return [t for t in self.closed if not any(s.startswith(WRITES) for s in t)]


@pytest.fixture
async def sqlite_app(tmp_path: Path) -> AsyncIterator[tuple[ApiClient, AppState, str]]:
    url = await migrated_sqlite_url(tmp_path)
    async with (
        running_app(make_config(url, tmp_path), FakeClock()) as (app, state),
        api_client(app) as client,
    ):
        await client.register("writer@example.com")
        yield client, state, url


async def test_only_transactions_that_write_take_the_write_lock(
    sqlite_app: tuple[ApiClient, AppState, str],
) -> None:
    client, state, _ = sqlite_app
    conversations = [await new_conversation(client) for _ in range(4)]
    log = LockLog(state.engine)
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    assert (await client.get("/api/v1/conversations")).status_code == 200
    await send(client, conversations[0], "hello")
    assert (await client.get(f"/api/v1/conversations/{conversations[0]}")).status_code == 200
    await asyncio.gather(*(send(client, c, "at once") for c in conversations))
    assert log.closed, "the sends wrote nothing?"
    assert log.read_only() == []


async def test_messages_sent_at_once_share_write_transactions(
    sqlite_app: tuple[ApiClient, AppState, str],
) -> None:
    client, state, _ = sqlite_app
    conversations = [await new_conversation(client) for _ in range(8)]  # < the chat burst limit
    log = LockLog(state.engine)
    replies = await asyncio.gather(*(send(client, c, "together") for c in conversations))
    assert all(events[-1][0] == "done" for events in replies)
    assert len(log.closed) < len(conversations)  # was >= 2 per message
    assert state.chat.writer.stats.largest > 1


async def test_what_a_send_acknowledged_is_committed(
    sqlite_app: tuple[ApiClient, AppState, str],
) -> None:
    client, _, url = sqlite_app
    conversation = await new_conversation(client)
    events = await send(client, conversation, "keep this")
    first, last = events[0][1], events[-1][1]
    engine = create_engine(url)  # another connection: sees only what is committed
    try:
        async with create_sessionmaker(engine)() as db:
            user_message = await db.get(Message, _id(first["user_message"]["id"]))
            reply = await db.get(Message, _id(last["final"]["id"]))
            usage = (await db.scalars(select(UsageRecord))).all()
    finally:
        await engine.dispose()
    assert user_message is not None
    assert user_message.content == "keep this"
    assert reply is not None
    assert reply.status == MessageStatus.COMPLETE
    assert reply.content == last["final"]["content"]
    assert [u.message_id for u in usage] == [reply.id]


def _id(value: str) -> uuid.UUID:
    return uuid.UUID(value)
