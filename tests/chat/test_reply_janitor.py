"""The janitor closes only the replies of dead owners, on both databases, with the real Redis.

Time is the app's FakeClock (row ages) plus Redis TTLs (leases), so nothing here waits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from lockgate.chat.leases import RedisLeases, ReplyJanitor
from lockgate.clock import FakeClock
from lockgate.models import Conversation, Message, MessageRole, MessageStatus
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send
from tests.fixtures.appkit import GatedSleep, api_client, make_config, running_app

TTL = 20.0


@pytest.fixture
async def redis_state(
    database_url: str, tmp_path: Path, clock: FakeClock, redis_url: str
) -> AsyncIterator[AppState]:
    config = make_config(database_url, tmp_path, redis_url=redis_url)
    async with running_app(config, clock) as (app, state), api_client(app) as client:
        await client.register("janitor@example.com")
        await new_conversation(client)
        yield state


async def streaming_row(state: AppState, content: str = "half an ans") -> uuid.UUID:
    """A `streaming` reply in the test's one conversation."""
    async with state.sessionmaker() as db:
        conversation_id = (await db.execute(select(Conversation.id))).scalar_one()
    now = state.clock()
    message = Message(
        conversation_id=conversation_id,
        seq=1,
        role=MessageRole.ASSISTANT,
        content=content,
        status=MessageStatus.STREAMING,
        created_at=now,
        updated_at=now,
    )
    async with state.sessionmaker() as db:
        db.add(message)
        await db.commit()
    return message.id


async def stored(state: AppState, message_id: uuid.UUID) -> Message:
    async with state.sessionmaker() as db:
        row = await db.get(Message, message_id)
        assert row is not None
        return row


def janitor(state: AppState, leases: RedisLeases) -> ReplyJanitor:
    assert state.chat is not None
    return ReplyJanitor(
        state.chat, leases, state.sessionmaker, state.clock, ttl=TTL, interval=TTL / 2
    )


@pytest.fixture
def leases(redis_state: AppState) -> RedisLeases:
    assert redis_state.redis is not None
    return RedisLeases(redis_state.redis, ttl=TTL)


async def test_a_stale_reply_without_a_lease_is_closed_with_its_text(
    redis_state: AppState, clock: FakeClock, leases: RedisLeases
) -> None:
    message_id = await streaming_row(redis_state)
    clock.advance(seconds=TTL + 1)
    assert await janitor(redis_state, leases).reap() == 1
    row = await stored(redis_state, message_id)
    assert (row.status, row.content, row.error_code) == (
        MessageStatus.INCOMPLETE,
        "half an ans",
        "interrupted",
    )


async def test_a_reply_whose_owner_renews_its_lease_is_left_alone(
    redis_state: AppState, clock: FakeClock, leases: RedisLeases
) -> None:
    message_id = await streaming_row(redis_state)
    assert redis_state.redis is not None
    other_replica = RedisLeases(redis_state.redis, ttl=TTL)
    await other_replica.claim(message_id)
    clock.advance(seconds=TTL + 1)
    assert await janitor(redis_state, leases).reap() == 0
    assert (await stored(redis_state, message_id)).status == MessageStatus.STREAMING


async def test_a_reply_just_saved_is_left_alone_before_its_lease_is_claimed(
    redis_state: AppState, clock: FakeClock, leases: RedisLeases
) -> None:
    message_id = await streaming_row(redis_state)
    clock.advance(seconds=TTL - 1)
    assert await janitor(redis_state, leases).reap() == 0
    assert (await stored(redis_state, message_id)).status == MessageStatus.STREAMING


async def test_a_released_lease_lets_the_reply_be_closed(
    redis_state: AppState, clock: FakeClock, leases: RedisLeases
) -> None:
    message_id = await streaming_row(redis_state)
    await leases.claim(message_id)
    await leases.release(message_id)
    clock.advance(seconds=TTL + 1)
    assert await janitor(redis_state, leases).reap() == 1


async def test_a_live_reply_holds_its_lease_until_its_final_save(
    database_url: str, tmp_path: Path, clock: FakeClock, redis_url: str
) -> None:
    gate = GatedSleep(block_at=3)
    config = make_config(database_url, tmp_path, redis_url=redis_url)
    async with (
        running_app(config, clock, provider_sleep=gate) as (app, state),
        api_client(app) as client,
    ):
        await client.register("owner@example.com")
        cid = await new_conversation(client)
        sending = asyncio.create_task(send(client, cid, "hello [[tokens:10]]"))
        await gate.reached.wait()
        assert state.chat is not None
        assert state.redis is not None
        [live_id] = state.chat.live_ids()
        assert await state.redis.exists(RedisLeases.key(live_id)) == 1
        gate.release()
        await sending
        assert await state.redis.exists(RedisLeases.key(live_id)) == 0


async def test_without_redis_a_restart_closes_every_streaming_reply(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(database_url, tmp_path)
    async with running_app(config, clock) as (app, state), api_client(app) as client:
        await client.register("solo@example.com")
        await new_conversation(client)
        message_id = await streaming_row(state)
    async with running_app(config, clock) as (_, restarted):
        row = await stored(restarted, message_id)
    assert (row.status, row.content) == (MessageStatus.INCOMPLETE, "half an ans")
