"""Both live-reply stores keep a reply bounded and still replay all of it, once, in order.

The in-process log folds its oldest events into a checkpoint past ``max_events``; a Redis stream
is capped (``MAXLEN ~``) and carries checkpoint entries for the same purpose. Whatever was
dropped, a listener gets the head events, every character of text exactly once, and the final
event, with strictly increasing SSE ids.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from lockgate.chat.events import (
    ChatDeltaData,
    ChatDeltaEvent,
    ChatDoneData,
    ChatDoneEvent,
    ChatEvent,
    ChatMessageData,
    ChatMessageEvent,
    encode,
)
from lockgate.chat.live_redis import RedisLiveReplies
from lockgate.chat.replylog import Cursor, ReplyLog
from lockgate.conversations.schemas import MessageOut
from lockgate.gate.factory import create_redis
from lockgate.models import MessageStatus
from tests.fixtures.redis import RedisServer

TOKENS = [f"t{i} " for i in range(120)]


def reply_events() -> list[ChatEvent]:
    now = "2030-01-01T00:00:00Z"
    row = MessageOut.model_validate(
        {
            "id": str(uuid.uuid4()),
            "conversation_id": str(uuid.uuid4()),
            "parent_id": None,
            "seq": 1,
            "role": "assistant",
            "content": "",
            "status": "streaming",
            "created_at": now,
            "updated_at": now,
            "finished_at": None,
            **dict.fromkeys(
                ["model", "provider", "input_tokens", "output_tokens", "cost_usd", "latency_ms"]
            ),
            "error_code": None,
            "error_message": None,
        }
    )
    first = ChatMessageEvent(
        data=ChatMessageData(conversation_id=str(row.conversation_id), assistant_message=row)
    )
    deltas = [ChatDeltaEvent(data=ChatDeltaData(text=t)) for t in TOKENS]
    done = ChatDoneEvent(data=ChatDoneData(status=MessageStatus.COMPLETE, final=None))
    return [first, *deltas, done]


def decode(chunks: list[bytes]) -> tuple[list[int], list[str], str]:
    """(SSE ids, event names, the text of every delta joined)."""
    ids, names, text = [], [], []
    for chunk in chunks:
        for block in chunk.decode().split("\n\n"):
            if not block:
                continue
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            ids.append(int(fields["id"]))
            names.append(fields["event"])
            if fields["event"] == "delta":
                text.append(json.loads(fields["data"])["text"])
    return ids, names, "".join(text)


def assert_whole(chunks: list[bytes]) -> None:
    ids, names, text = decode(chunks)
    assert (names[0], names[-1], text) == ("message", "done", "".join(TOKENS))
    assert ids == sorted(set(ids))  # strictly increasing: nothing twice, in order


async def collect(events: AsyncIterator[tuple[int, bytes]]) -> list[bytes]:
    return [b"id: %d\n" % seq + sse async for seq, sse in events]


async def test_the_memory_log_stays_bounded_and_replays_everything() -> None:
    log = ReplyLog(max_events=8)
    longest = 0
    for event in reply_events():
        log.append(event)
        longest = max(longest, log.next_seq - log.checkpoint.upto)
    assert longest <= 8
    assert_whole(await collect(log.follow(Cursor())))


async def test_a_slow_listener_folded_past_gets_exactly_the_missing_text() -> None:
    log = ReplyLog(max_events=8)
    events = reply_events()
    for event in events[:5]:
        log.append(event)
    cursor = Cursor()
    listener = log.follow(cursor)
    early = [b"id: %d\n" % seq + sse for seq, sse in [await anext(listener) for _ in range(3)]]
    for event in events[5:]:  # the listener does not read meanwhile: its events are folded
        log.append(event)
    late = [b"id: %d\n" % seq + sse async for seq, sse in listener]
    assert_whole(early + late)


async def test_a_resume_past_folded_events_ends_with_the_final_event() -> None:
    log = ReplyLog(max_events=8)
    for event in reply_events():
        log.append(event)
    ids, names, _ = decode(await collect(log.follow(Cursor(seq=3, text=None))))
    assert names[-1] == "done"
    assert "message" not in names
    assert min(ids) >= 3


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = create_redis(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis: Redis) -> AsyncIterator[RedisLiveReplies]:
    async def still_streaming(_message_id: uuid.UUID) -> bytes | None:
        return None

    replies = RedisLiveReplies(redis, max_events=16, expire_seconds=120)
    await replies.start(lambda _message_id: None, still_streaming)
    yield replies
    await replies.aclose()


async def publish_slowly(store: RedisLiveReplies, message_id: uuid.UUID) -> None:
    """One event per flush, so every event is an entry (the most entries a reply can make)."""
    reply = store.open(message_id)
    for event in reply_events():
        reply.publish(event)
        await store.flushed()
    reply.end()
    await store.flushed()


async def test_a_trimmed_stream_still_replays_the_whole_reply(
    store: RedisLiveReplies, redis: Redis
) -> None:
    message_id = uuid.uuid4()
    await publish_slowly(store, message_id)
    key = store.key(message_id)
    await redis.xtrim(key, maxlen=10, approximate=False)  # what MAXLEN ~ does to a long reply
    assert await redis.xlen(key) == 10
    events = await store.attach(message_id)
    assert events is not None
    assert_whole([chunk async for chunk in events])


async def test_a_stream_expires_after_its_reply_ends(store: RedisLiveReplies, redis: Redis) -> None:
    message_id = uuid.uuid4()
    reply = store.open(message_id)
    reply.publish(reply_events()[0])
    await store.flushed()
    live_ttl = await redis.ttl(store.key(message_id))
    for event in reply_events()[1:]:
        reply.publish(event)
    reply.end()
    await store.flushed()
    ended_ttl = await redis.ttl(store.key(message_id))
    assert 120 < live_ttl <= 3600  # a live stream only expires if every replica died
    assert 0 < ended_ttl <= 120


async def test_a_listener_attached_before_the_first_event_gets_everything(
    store: RedisLiveReplies,
) -> None:
    message_id = uuid.uuid4()
    reply = store.open(message_id)
    listening = asyncio.create_task(collect_all(reply.follow()))
    await publish_all(store, reply)
    assert_whole(await listening)


async def collect_all(events: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in events]


async def publish_all(store: RedisLiveReplies, reply: object) -> None:
    for event in reply_events():
        reply.publish(event)  # type: ignore[attr-defined]
        await asyncio.sleep(0)
    reply.end()  # type: ignore[attr-defined]
    await store.flushed()


async def test_a_listener_whose_stream_never_ends_ends_with_the_saved_final_event(
    redis: Redis,
) -> None:
    """The owner died and its final event never reached the stream: the database has it."""
    over = asyncio.Event()
    saved_final = reply_events()[-1]

    async def final_of(_message_id: uuid.UUID) -> bytes | None:
        return encode(saved_final) if over.is_set() else None

    store = RedisLiveReplies(redis, idle_check_seconds=0.05)
    await store.start(lambda _message_id: None, final_of)
    try:
        message_id = uuid.uuid4()
        reply = store.open(message_id)
        for event in reply_events()[:3]:
            reply.publish(event)
        await store.flushed()
        events = await store.attach(message_id)
        assert events is not None
        heard = [await anext(events) for _ in range(3)]
        over.set()  # as a survivor's janitor closing the row would
        heard += [chunk async for chunk in events]
    finally:
        await store.aclose()
    ids, names, _ = decode(heard)
    assert (ids, names) == ([0, 1, 2, 3], ["message", "delta", "delta", "done"])


async def test_a_listener_and_the_writer_outlive_a_redis_outage(
    redis: Redis, redis_server: RedisServer
) -> None:
    """Redis goes away mid-reply: the listener ends with the saved final event instead of an
    error or a hang, and the owner's pending events are written once Redis is back."""
    over = asyncio.Event()
    saved_final = reply_events()[-1]

    async def final_of(_message_id: uuid.UUID) -> bytes | None:
        return encode(saved_final) if over.is_set() else None

    store = RedisLiveReplies(redis, idle_check_seconds=0.05)
    await store.start(lambda _message_id: None, final_of)
    try:
        message_id = uuid.uuid4()
        reply = store.open(message_id)
        events = reply_events()
        for event in events[:3]:
            reply.publish(event)
        await store.flushed()
        listener = reply.follow()
        heard = [await anext(listener) for _ in range(3)]
        redis_server.pause()
        for event in events[3:]:
            reply.publish(event)
        reply.end()
        over.set()  # the owner saved its final state in the database
        heard += [chunk async for chunk in listener]
        redis_server.resume()  # empty: nothing is persisted
        await asyncio.wait_for(store.flushed(), timeout=20)
        written: Any = await redis.xrevrange(store.key(message_id), count=1)
    finally:
        await store.aclose()
    ids, names, _ = decode(heard)
    assert (ids, names) == ([0, 1, 2, 3], ["message", "delta", "delta", "done"])
    assert b"f" in written[0][1]
