"""One Redis connection that tails every live-reply stream this process listens to.

A listener re-attached to a reply generated on another replica tails that reply's stream. With
one blocking ``XREAD`` connection per listener, a replica holding 500 open chat tabs would hold
500 Redis connections, each idle in ``XREAD BLOCK`` (our pool is bounded at 128, so the 129th tab
would wait for a connection, and with it every budget check). The hub instead issues ONE
``XREAD BLOCK`` (at most ``block_seconds``, under the pool's socket timeout) over every stream
some local listener follows, plus two of its own:

* a per-process *wake* stream: a listener for a stream not yet in the blocking call adds an entry
  there, so the call returns and is reissued with the new stream at once (no polling delay);
* the shared *stop* stream: every replica reads each stop request and the owner acts on it.

Entries are copied to each subscriber's bounded queue. A subscriber that does not keep up (a
slow client) is marked lagged and re-reads from the stream itself, which is the source of truth,
so the hub never blocks on one listener and never buffers without bound. Connections per replica:
one pool connection held by the blocking read, plus short uses of the pool for writes and
catch-up reads (``XRANGE``), whatever the number of listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested

log = get_logger("lockgate.chat")
Entry = tuple[bytes, dict[bytes, bytes]]
Sleep = Callable[[float], Awaitable[None]]
XREAD_COUNT = 500


class Lagged(Exception):
    """The subscriber's queue overflowed: re-read from the stream."""


class Subscription:
    """A listener's view of one stream: entries the hub read after it subscribed."""

    def __init__(self, key: str, limit: int) -> None:
        self.key = key
        self._limit = limit
        self._entries: deque[Entry] = deque()
        self._ready = asyncio.Event()
        self.lagged = False

    def put(self, entries: list[Entry]) -> None:
        if self.lagged:
            return
        if len(self._entries) + len(entries) > self._limit:
            self.lagged = True
            self._entries.clear()
        else:
            self._entries.extend(entries)
        self._ready.set()

    async def get(self, within: float) -> Entry:
        """The next entry; TimeoutError when none came ``within`` seconds; Lagged."""
        while not self._entries:
            if self.lagged:
                raise Lagged
            self._ready.clear()
            async with asyncio.timeout(within):
                await self._ready.wait()
        return self._entries.popleft()


class StreamHub:
    def __init__(
        self,
        redis: Redis,
        *,
        stop_key: str,
        on_stop: Callable[[uuid.UUID], None],
        block_seconds: float = 1.0,
        queue_limit: int = 1000,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """``redis``: the shared client; the blocking read holds one of its pool's connections
        (whose socket timeout must be longer than ``block_seconds``)."""
        self._redis = redis
        self._stop_key = stop_key
        self._on_stop = on_stop
        self._wake_key = f"lockgate:reply_wake:{uuid.uuid4().hex}"
        self._block_ms = max(1, int(block_seconds * 1000))
        self._queue_limit = queue_limit
        self._sleep = sleep
        self._cursors: dict[str, bytes | str] = {}
        self._subs: dict[str, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._waking: asyncio.Task[None] | None = None
        self._wake_again = False
        self.ready = asyncio.Event()

    async def start(self) -> None:
        # The stop stream from its start: stops for replies that are not live here (earlier
        # processes', other replicas') are ignored, so replaying them is harmless, and start-up
        # needs no Redis round trip.
        self._cursors[self._stop_key] = "0-0"
        self._cursors[self._wake_key] = "0-0"
        self._task = asyncio.create_task(self._run(), name="reply-stream-hub")

    async def aclose(self) -> None:
        if self._waking is not None:
            await asyncio.gather(self._waking, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(RedisError):  # it expires on its own
            await self._redis.delete(self._wake_key)

    @property
    def streams(self) -> int:
        """How many reply streams the one blocking call covers (for tests and metrics)."""
        return len(self._subs)

    @property
    def subscribers(self) -> int:
        """How many listeners those streams have here."""
        return sum(len(subs) for subs in self._subs.values())

    async def subscribe(self, key: str, after: bytes | str) -> Subscription:
        """Entries of ``key`` after ``after`` (or after whatever the hub already read of it:
        the subscriber re-reads the stream once after subscribing, so nothing falls between)."""
        sub = Subscription(key, self._queue_limit)
        self._subs.setdefault(key, set()).add(sub)
        if key not in self._cursors:
            self._cursors[key] = after
            self._wake()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.key)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._subs[sub.key]
            self._cursors.pop(sub.key, None)

    def _wake(self) -> None:
        """Make the blocking read return and take the new streams. Coalesced: one wake-up in
        flight at a time, plus one more if streams were added meanwhile (a burst of 200
        re-attaching tabs costs a few writes, not 200)."""
        self._wake_again = True
        if self._waking is None or self._waking.done():
            self._waking = asyncio.create_task(self._send_wakes(), name="reply-hub-wake")

    async def _send_wakes(self) -> None:
        while self._wake_again:
            self._wake_again = False
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.xadd(self._wake_key, {"w": "1"}, maxlen=8, approximate=False)
                    pipe.expire(self._wake_key, 3600)
                    await pipe.execute()
            except RedisError as exc:  # the blocking call ends within block_seconds anyway
                log.warning("reply_hub_wake_failed", error=str(exc))
                return

    async def _run(self) -> None:
        delay = 0.1
        while not cancel_requested():  # see lockgate/tasks.py
            try:
                streams: Any = dict(self._cursors)
                result = cast(  # RESP2: [(key, entries), ...]
                    list[tuple[bytes, list[Entry]]],
                    await self._redis.xread(streams, count=XREAD_COUNT, block=self._block_ms),
                )
            except Exception as exc:  # Redis away (or a bug): the cursors keep our place
                if isinstance(exc, RedisError):
                    log.warning("reply_hub_read_failed", error=str(exc))
                else:
                    log.exception("reply_hub_read_failed")
                self.ready.clear()
                if cancel_requested():
                    return
                await self._sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            self.ready.set()
            for raw_key, entries in result or []:
                self._deliver(raw_key.decode(), entries)

    def _deliver(self, key: str, entries: list[Entry]) -> None:
        if not entries or key not in self._cursors:
            return
        self._cursors[key] = entries[-1][0]
        if key == self._stop_key:
            for _, fields in entries:
                try:
                    self._on_stop(uuid.UUID(fields[b"m"].decode()))
                except (KeyError, ValueError):
                    continue
            return
        for sub in list(self._subs.get(key, ())):
            sub.put(entries)
