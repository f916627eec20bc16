"""Live replies on Redis: what the per-process side costs, hub versus one connection per listener.

A real ``redis-server`` on a free loopback port. ``--replies`` live replies, each streaming
``--tokens`` delta events from one owner store, with ``--listeners`` listeners per reply on a
second store (another "replica"). Two ways to tail:

* ``hub``: Lockgate's (``RedisLiveReplies``): one blocking ``XREAD`` per process for every
  stream, entries fanned out to bounded queues;
* ``per_listener``: the obvious alternative, each listener its own connection in
  ``XREAD BLOCK`` on its reply's stream.

Reported per mode: wall time until every listener has the final event, this process's CPU
time, the peak number of Redis clients and of clients blocked in ``XREAD``, and how many stream
entries the events became (the writer batches what gathers while a round trip is in flight).

    .venv/bin/python -m bench.live_replies [--replies 50 --listeners 4 --tokens 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from lockgate.chat.events import ChatDeltaData, ChatDeltaEvent, ChatErrorData, ChatErrorEvent
from lockgate.chat.live_redis import RedisLiveReplies
from lockgate.chat.replylog import Cursor
from lockgate.gate.factory import create_redis
from lockgate.models import MessageStatus
from tests.fixtures.redis import RedisServer


async def still_streaming(_message_id: uuid.UUID) -> bytes | None:
    return None


async def generate(owner: RedisLiveReplies, ids: list[uuid.UUID], tokens: int) -> None:
    """Every reply streams its tokens concurrently, one event per loop turn."""
    replies = [owner.open(message_id) for message_id in ids]
    for _ in range(tokens):
        for reply in replies:
            reply.publish(ChatDeltaEvent(data=ChatDeltaData(text="tok ")))
        await asyncio.sleep(0)
    end = ChatErrorData(code="x", message="end", status=MessageStatus.COMPLETE, final=None)
    for reply in replies:
        reply.publish(ChatErrorEvent(data=end))
        reply.end()
    await owner.flushed()


async def per_listener(url: str, key: str) -> int:
    """One connection blocked in XREAD on one stream, until the final entry."""
    client = Redis.from_url(url, socket_timeout=10)
    last, count = "0-0", 0
    try:
        while True:
            result: Any = await client.xread({key: last}, block=1000, count=500)
            for _, entries in result or []:
                for entry_id, fields in entries:
                    last, count = entry_id, count + 1
                    if b"f" in fields:
                        return count
    finally:
        await client.aclose()


async def run(url: str, mode: str, replies: int, listeners: int, tokens: int) -> dict[str, Any]:
    owner_redis, listener_redis, probe = create_redis(url), create_redis(url), create_redis(url)
    owner = RedisLiveReplies(owner_redis)
    listener_store = RedisLiveReplies(listener_redis)
    await owner.start(lambda _m: None, still_streaming)
    await listener_store.start(lambda _m: None, still_streaming)
    ids = [uuid.uuid4() for _ in range(replies)]
    peak, blocked = 0, 0

    async def sample() -> None:
        nonlocal peak, blocked
        while True:
            clients = await probe.client_list()
            peak = max(peak, len(clients))
            reading = sum(1 for c in clients if c["cmd"] == "xread" and "b" in c["flags"])
            blocked = max(blocked, reading)
            await asyncio.sleep(0.02)

    async def hub_listener(message_id: uuid.UUID) -> int:
        return len([c async for c in listener_store.follow(message_id, Cursor())])

    sampler = asyncio.create_task(sample())
    cpu, wall = time.process_time(), time.monotonic()
    if mode == "hub":
        tails = [hub_listener(m) for m in ids for _ in range(listeners)]
    else:
        tails = [per_listener(url, owner.key(m)) for m in ids for _ in range(listeners)]
    listening = asyncio.gather(*tails)
    await asyncio.sleep(0.2)  # listeners attached before the first event: all of it is live
    await generate(owner, ids, tokens)
    await listening
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    sampler.cancel()
    entries = sum([await owner_redis.xlen(owner.key(m)) for m in ids])
    for closing in (owner, listener_store):
        await closing.aclose()
    for client in (owner_redis, listener_redis, probe):
        await client.aclose()
    return {
        "mode": mode,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_redis_clients": peak,
        "peak_blocked_xread": blocked,
        "events": replies * (tokens + 1),
        "stream_entries": entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--listeners", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=200)
    args = parser.parse_args()
    with RedisServer() as server:
        for mode in ("hub", "per_listener"):
            server.execute("FLUSHALL")
            result = asyncio.run(run(server.url, mode, args.replies, args.listeners, args.tokens))
            print(json.dumps(result))


if __name__ == "__main__":
    main()
