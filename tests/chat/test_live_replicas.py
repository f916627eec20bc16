"""Two replicas (two apps sharing PostgreSQL and Redis): a live reply is re-attached, resumed and
stopped from the replica that does not generate it, and ends cleanly when its owner is gone."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lockgate.chat.leases import RedisLeases, ReplyJanitor
from lockgate.chat.live_redis import RedisLiveReplies
from lockgate.clock import FakeClock
from lockgate.models import Message, MessageStatus, UsageOutcome
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send, usage_rows
from tests.fixtures.appkit import (
    ApiClient,
    GatedSleep,
    PostgresTemplates,
    api_client,
    make_config,
    parse_sse,
    running_app,
)
from tests.fixtures.fake_time import until

LEASE = 20.0


@dataclass
class Replica:
    client: ApiClient
    state: AppState
    gate: GatedSleep

    @property
    def live(self) -> RedisLiveReplies:
        live = self.state.chat.live
        assert isinstance(live, RedisLiveReplies)
        return live


@pytest.fixture
async def replicas(
    pg_templates: PostgresTemplates, redis_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Replica, Replica]]:
    """Replica A generates (its provider blocks mid-reply until released); B only listens."""
    config = make_config(await pg_templates.new_database(), tmp_path, redis_url=redis_url)
    gate_a, gate_b = GatedSleep(block_at=6), GatedSleep(block_at=10**9)
    async with (
        running_app(config, clock, provider_sleep=gate_a) as (app_a, state_a),
        running_app(config, clock, provider_sleep=gate_b) as (app_b, state_b),
        api_client(app_a) as a,
        api_client(app_b) as b,
    ):
        await a.register("replicas@example.com")
        b.cookies.update(a.cookies)  # one browser, sent to either replica by the balancer
        yield Replica(a, state_a, gate_a), Replica(b, state_b, gate_b)
        gate_a.release()


async def live_reply(a: Replica, content: str) -> tuple[asyncio.Task[list[Any]], uuid.UUID]:
    """A reply generating on A (blocked mid-stream), and its id."""
    cid = await new_conversation(a.client)
    sending = asyncio.create_task(send(a.client, cid, content))
    await a.gate.reached.wait()
    [live_id] = a.state.chat.live_ids()
    return sending, live_id


async def stored(state: AppState, message_id: uuid.UUID) -> Message:
    async with state.sessionmaker() as db:
        row = await db.get(Message, message_id)
        assert row is not None
        return row


def ids_of(raw: str) -> list[int]:
    return [int(line[4:]) for line in raw.split("\n") if line.startswith("id: ")]


async def test_reattaching_on_the_other_replica_gets_the_whole_reply(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "tell me everything [[tokens:40]]")
    reattach = asyncio.create_task(b.client.get(f"/api/v1/messages/{live_id}/stream"))
    await until(lambda: b.live.hub.streams == 1)  # B tails the stream: replay done
    a.gate.release()
    original, response = await sending, await reattach
    replay = parse_sse(response.text)
    row = await stored(b.state, live_id)
    assert replay == original
    assert ids_of(response.text) == list(range(len(replay)))  # no gap, no duplicate
    assert "".join(d["text"] for n, d in replay if n == "delta") == row.content
    assert replay[-1][1]["final"]["content"] == row.content
    assert (replay[-1][0], row.status) == ("done", MessageStatus.COMPLETE)


async def test_last_event_id_resumes_after_that_event_on_any_replica(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "tell me everything [[tokens:20]]")
    a.gate.release()
    original = await sending
    resumed = await b.client.get(
        f"/api/v1/messages/{live_id}/stream", headers={"Last-Event-ID": "4"}
    )
    assert ids_of(resumed.text)[0] == 5
    assert parse_sse(resumed.text) == original[5:]


async def test_a_stop_on_the_other_replica_stops_the_generation_within_a_second(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "a long answer please [[tokens:400]]")
    started = time.monotonic()
    stopped = await b.client.post(f"/api/v1/messages/{live_id}/stop")
    elapsed = time.monotonic() - started
    assert stopped.status_code == 200, stopped.text
    assert a.state.chat.live_ids() == []  # A's generation is over, not just the row
    calls_at_stop = a.gate.calls
    a.gate.release()
    events = await sending
    streamed = "".join(d["text"] for n, d in events if n == "delta")
    [usage] = await usage_rows(a.state)
    assert elapsed < 1.0
    assert (stopped.json()["status"], stopped.json()["content"]) == ("cancelled", streamed)
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "cancelled")
    assert usage.outcome == UsageOutcome.CANCELLED
    assert 0 < usage.output_tokens < 400
    assert a.gate.calls == calls_at_stop  # the provider stream was closed: billing stopped


async def test_a_stop_for_a_finished_reply_answers_its_saved_state(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "short [[tokens:8]]")
    a.gate.release()
    final = (await sending)[-1][1]["final"]
    stopped = await b.client.post(f"/api/v1/messages/{live_id}/stop")
    assert (stopped.status_code, stopped.json()["status"]) == (200, "complete")
    assert stopped.json()["content"] == final["content"]


async def test_a_dead_owners_reply_is_closed_and_its_listeners_end(
    replicas: tuple[Replica, Replica], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = replicas
    _sending, live_id = await live_reply(a, "a long answer please [[tokens:400]]")
    listening = asyncio.create_task(b.client.get(f"/api/v1/messages/{live_id}/stream"))
    await until(lambda: b.live.hub.streams == 1)

    # A dies: its heartbeat stops, its lease lapses (the generation, blocked, never saves again).
    async def dead(_ids: object) -> None:
        return None

    monkeypatch.setattr(a.state.chat.leases, "renew", dead)
    assert b.state.redis is not None
    await b.state.redis.delete(RedisLeases.key(live_id))
    clock.advance(seconds=LEASE + 1)
    survivor = ReplyJanitor(
        b.state.chat,
        RedisLeases(b.state.redis, ttl=LEASE),
        b.state.sessionmaker,
        clock,
        ttl=LEASE,
        interval=LEASE / 2,
        on_closed=b.state.chat.publish_closed,
    )
    assert await survivor.reap() == 1
    events = parse_sse((await asyncio.wait_for(listening, timeout=10)).text)
    row = await stored(b.state, live_id)
    assert (row.status, row.error_code) == (MessageStatus.INCOMPLETE, "interrupted")
    assert (events[0][0], events[-1][0]) == ("message", "error")
    assert events[-1][1]["code"] == "interrupted"
    assert events[-1][1]["final"]["status"] == "incomplete"


async def blocked_reads(state: AppState) -> int:
    """Redis connections blocked in XREAD right now (every replica's)."""
    assert state.redis is not None
    clients = await state.redis.client_list()
    return sum(1 for c in clients if c["cmd"] == "xread" and "b" in c["flags"])


async def test_many_listeners_on_a_replica_share_one_blocking_read(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    _sending, live_id = await live_reply(a, "tell me everything [[tokens:30]]")
    tabs = [
        asyncio.create_task(b.client.get(f"/api/v1/messages/{live_id}/stream")) for _ in range(20)
    ]
    await until(lambda: b.live.hub.streams == 1)
    await until(lambda: b.live.hub.subscribers == 20)

    async def one_read_per_replica() -> bool:  # A's hub and B's, not one per listener
        return await blocked_reads(b.state) == 2

    await until(one_read_per_replica)
    a.gate.release()
    bodies = [parse_sse((await tab).text) for tab in tabs]
    assert all(body == bodies[0] and body[-1][0] == "done" for body in bodies)


async def test_a_draining_replica_refuses_new_replies_and_lets_live_ones_finish(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "tell me everything [[tokens:20]]")
    drain = a.state.chat.begin_drain(grace=30)
    cid = await new_conversation(a.client)
    refused = await a.client.post(f"/api/v1/conversations/{cid}/messages", json={"content": "hi"})
    ready = await a.client.get("/health/ready")
    a.gate.release()
    events = await sending
    await drain
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "draining")
    assert refused.headers["Retry-After"] == "2"
    assert ready.status_code == 503
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "complete")
    async with a.state.sessionmaker() as db:  # the refused message was never saved
        contents = (await db.scalars(select(Message.content))).all()
    assert "hi" not in contents
    assert (await stored(b.state, live_id)).status == MessageStatus.COMPLETE


async def test_a_reply_cut_at_the_end_of_the_grace_ends_listeners_on_other_replicas(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "a long answer please [[tokens:400]]")
    listening = asyncio.create_task(b.client.get(f"/api/v1/messages/{live_id}/stream"))
    await until(lambda: b.live.hub.streams == 1)
    await a.state.chat.begin_drain(grace=0)
    events = parse_sse((await asyncio.wait_for(listening, timeout=10)).text)
    original = await sending
    row = await stored(b.state, live_id)
    assert events == original
    assert (events[-1][0], events[-1][1]["code"]) == ("error", "interrupted")
    assert (row.status, row.content) == (
        MessageStatus.INCOMPLETE,
        "".join(d["text"] for n, d in events if n == "delta"),
    )


async def test_deleting_a_conversation_on_the_other_replica_stops_its_reply(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    sending, live_id = await live_reply(a, "a long answer please [[tokens:400]]")
    cid = (await stored(a.state, live_id)).conversation_id
    deleted = await b.client.delete(f"/api/v1/conversations/{cid}")
    assert a.state.chat.live_ids() == []  # stopped on its owner before the rows went
    calls_at_delete = a.gate.calls
    a.gate.release()
    events = await sending
    [usage] = await usage_rows(a.state)
    assert deleted.status_code == 204
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "cancelled")
    assert (usage.outcome, usage.conversation_id) == (UsageOutcome.CANCELLED, None)
    assert a.gate.calls == calls_at_delete
