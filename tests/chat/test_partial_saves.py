"""Live replies' partial text is written by one writer: offers never wait, only each reply's newest
text is written, many replies share one transaction, and a reply whose row was closed elsewhere
is told once."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lockgate.chat.saves import PartialSaves
from lockgate.clock import FakeClock
from lockgate.models import Conversation, Message, MessageRole, MessageStatus
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation
from tests.fixtures.appkit import api_client, make_config, running_app


@pytest.fixture
async def state(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppState]:
    async with running_app(make_config(database_url, tmp_path), clock) as (app, state):
        async with api_client(app) as client:
            await client.register("saves@example.com")
            await new_conversation(client)
        yield state


async def streaming_rows(state: AppState, count: int) -> list[uuid.UUID]:
    async with state.sessionmaker() as db:
        conversation_id = (await db.execute(select(Conversation.id))).scalar_one()
        now = state.clock()
        rows = [
            Message(
                conversation_id=conversation_id,
                seq=i + 1,
                role=MessageRole.ASSISTANT,
                content="",
                status=MessageStatus.STREAMING,
                created_at=now,
                updated_at=now,
            )
            for i in range(count)
        ]
        db.add_all(rows)
        await db.commit()
        return [row.id for row in rows]


async def contents(state: AppState, ids: list[uuid.UUID]) -> list[str]:
    async with state.sessionmaker() as db:
        found = {m.id: m.content for m in (await db.scalars(select(Message))).all()}
    return [found[i] for i in ids]


async def test_offers_coalesce_into_one_transaction_with_each_replys_newest_text(
    state: AppState,
) -> None:
    ids = await streaming_rows(state, 5)
    saves = PartialSaves(state.sessionmaker, state.clock)
    gone: list[uuid.UUID] = []
    for step in range(10):  # ten offers per reply, none awaited
        for message_id in ids:
            saves.offer(
                message_id,
                f"{message_id.hex[:4]} {step}",
                functools.partial(gone.append, message_id),
            )
    assert saves.waiting() == 5  # one pending text per reply, never a queue
    await saves.flush()
    assert saves.rounds == 1
    assert await contents(state, ids) == [f"{m.hex[:4]} 9" for m in ids]
    assert gone == []
    await saves.aclose()


async def test_a_row_closed_elsewhere_is_reported_once_and_not_overwritten(
    state: AppState,
) -> None:
    [kept, closed] = await streaming_rows(state, 2)
    async with state.sessionmaker() as db:
        await db.execute(
            update(Message).where(Message.id == closed).values(status=MessageStatus.CANCELLED)
        )
        await db.commit()
    saves = PartialSaves(state.sessionmaker, state.clock)
    told: list[str] = []
    saves.offer(kept, "kept text", lambda: told.append("kept"))
    saves.offer(closed, "too late", lambda: told.append("closed"))
    await saves.flush()
    assert told == ["closed"]
    assert await contents(state, [kept, closed]) == ["kept text", ""]
    await saves.aclose()


async def test_a_forgotten_reply_is_not_written(state: AppState) -> None:
    [message_id] = await streaming_rows(state, 1)
    saves = PartialSaves(state.sessionmaker, state.clock)
    saves.offer(message_id, "partial", lambda: None)
    saves.forget(message_id)  # the final save supersedes it
    await saves.flush()
    assert saves.rounds == 0
    assert await contents(state, [message_id]) == [""]
    await saves.aclose()
