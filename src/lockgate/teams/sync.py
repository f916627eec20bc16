"""Run-time budgets, limits and teams, applied in every process within a second.

The database holds them; each process keeps a `LimitsBook` snapshot the gate reads on every
call. After a change is committed the process that made it reloads its snapshot at once (in
memory mode that is the only process) and, with Redis, publishes on `CHANNEL`; every process
listens and reloads too. A message can be lost (a Redis reconnect), so each process also
reloads every ``interval`` seconds (the reconciliation) and after every reconnect: a missed
announcement heals by itself.

A reload reads four small tables and replaces the snapshot whole. Announcements that arrive
while a reload runs are folded into one more reload afterwards, never queued one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.db.engine import reading
from lockgate.gate import LimitsBook
from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested
from lockgate.teams.snapshot import load_runtime_limits

CHANNEL = "lockgate:runtime-limits:changed"
log = get_logger("lockgate.teams.sync")

Sleep = Callable[[float], Awaitable[None]]


class LimitsSync:
    """Keeps ``book`` equal to the database (see the module docstring)."""

    def __init__(
        self,
        book: LimitsBook,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis | None,
        *,
        interval: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.book = book
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._interval = interval
        self._sleep = sleep
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self._dirty = False
        self.listening = asyncio.Event()
        """Set while subscribed to `CHANNEL` (tests wait on it, never on a sleep)."""

    async def start(self) -> None:
        """Load the snapshot (a start-up that cannot read it fails: the gate would otherwise
        run without the team budgets), then listen and reconcile in the background."""
        await self.reload()
        self._tasks.append(asyncio.create_task(self._reconcile(), name="lockgate-limits-sync"))
        if self._redis is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="lockgate-limits-listen"))

    async def reload(self) -> None:
        """Read the database and apply it; concurrent calls fold into one more read."""
        self._dirty = True
        async with self._lock:
            while self._dirty:
                self._dirty = False
                async with self._sessionmaker() as session:
                    await reading(session)
                    limits = await load_runtime_limits(session)
                self.book.replace(limits)

    async def changed(self) -> None:
        """A change was committed: apply it here now, and announce it to the other processes."""
        await self.reload()
        if self._redis is not None:
            try:
                await self._redis.publish(CHANNEL, "changed")
            except Exception as exc:  # the reconciliation brings the others round
                log.warning("limits_announce_failed", error=type(exc).__name__)

    async def _reconcile(self) -> None:
        while not cancel_requested():  # see lockgate/tasks.py
            await self._sleep(self._interval)
            try:
                await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("limits_reconcile_failed", error=type(exc).__name__)

    async def _listen(self) -> None:
        assert self._redis is not None
        delay = 0.5
        while not cancel_requested():
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    await self.reload()  # whatever was announced while we were away
                    self.listening.set()
                    delay = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("limits_listener_disconnected", error=type(exc).__name__)
                self.listening.clear()
                if cancel_requested():
                    return
                await self._sleep(delay)
                delay = min(delay * 2, 10.0)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
