"""Deleting a conversation stops its live replies first: no more generating, no more billing.

A reply is a task of its own (it outlives the request that started it), so deleting the rows
alone left it streaming from the provider and billing to the end.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from lockgate.clock import FakeClock
from lockgate.models import Conversation, Message, MessageStatus, UsageOutcome
from lockgate.settings import ChatConfig, FileConfig
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send, usage_rows
from tests.fixtures.appkit import ApiClient, GatedSleep, api_client, make_config, running_app

Gated = tuple[ApiClient, AppState, GatedSleep]


@pytest.fixture
async def gated(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Gated]:
    """An app whose simulated provider blocks mid-reply until released; saves every 10 ms."""
    gate = GatedSleep(block_at=6)
    file = FileConfig(chat=ChatConfig(save_interval_ms=10))
    config = make_config(database_url, tmp_path, file=file)
    async with (
        running_app(config, clock, provider_sleep=gate) as (app, state),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        yield client, state, gate
        gate.release()


async def live_reply(state: AppState) -> uuid.UUID:
    assert state.chat is not None
    [live_id] = state.chat.live_ids()
    return live_id


async def test_deleting_a_conversation_stops_its_live_reply_and_bills_it_as_cancelled(
    gated: Gated,
) -> None:
    client, state, gate = gated
    cid = await new_conversation(client)
    sending = asyncio.create_task(send(client, cid, "a long answer please [[tokens:400]]"))
    await gate.reached.wait()
    assert (await client.delete(f"/api/v1/conversations/{cid}")).status_code == 204
    assert state.chat is not None
    assert state.chat.live_ids() == []
    calls_at_delete = gate.calls
    gate.release()
    events = await sending
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "cancelled")
    [row] = await usage_rows(state)
    assert (row.outcome, row.conversation_id) == (UsageOutcome.CANCELLED, None)
    assert 0 < row.output_tokens < 400
    assert gate.calls == calls_at_delete  # the provider stream was closed, not drained


async def test_a_reply_whose_conversation_vanished_elsewhere_stops_itself(gated: Gated) -> None:
    client, state, gate = gated
    cid = await new_conversation(client)
    sending = asyncio.create_task(send(client, cid, "a long answer please [[tokens:400]]"))
    await gate.reached.wait()
    await live_reply(state)
    async with state.sessionmaker() as db:  # as another replica's DELETE would
        await db.execute(delete(Conversation).where(Conversation.id == uuid.UUID(cid)))
        await db.commit()
    await asyncio.sleep(0.02)  # let the 10 ms save throttle (real time by design) run out
    gate.pace = 0.002  # tokens arrive as a real upstream's do: the save writer runs beside them
    gate.release()
    events = await sending
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "cancelled")
    [row] = await usage_rows(state)
    assert row.outcome == UsageOutcome.CANCELLED
    assert 0 < row.output_tokens < 400


async def test_a_reply_closed_by_another_replica_stops_itself(gated: Gated) -> None:
    client, state, gate = gated
    cid = await new_conversation(client)
    sending = asyncio.create_task(send(client, cid, "a long answer please [[tokens:400]]"))
    await gate.reached.wait()
    live_id = await live_reply(state)
    async with state.sessionmaker() as db:  # as a stop on a replica that does not own it
        await db.execute(
            update(Message).where(Message.id == live_id).values(status=MessageStatus.CANCELLED)
        )
        await db.commit()
    await asyncio.sleep(0.02)  # let the 10 ms save throttle (real time by design) run out
    gate.pace = 0.002  # tokens arrive as a real upstream's do: the save writer runs beside them
    gate.release()
    events = await sending
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "cancelled")
    [row] = await usage_rows(state)
    assert row.outcome == UsageOutcome.CANCELLED
