"""Backpressure: at most N calls in flight per provider, a bounded queue, a bounded wait.

Overload sheds early: when a lane's queue is full a caller gets :class:`Overloaded` at once, and a
caller that waited ``max_wait_seconds`` without a slot gets it too (the gate answers 503 with a
``Retry-After``). Nothing queues without bound::

    async with manager.slot("openai") as lease:   # may wait, or raise Overloaded
        reply = await provider.complete(request)  # the slot is freed on exit, whatever happens

Errors::

    Overloaded                the lane is full (reason "queue_full") or the wait ran out
                              ("wait_timeout"); carries name and retry_after seconds
    BackpressureUnavailable   the shared store (Redis) could not be reached; the caller should
                              fall back to a process-local lane (a MemoryBackpressure) rather
                              than admit without any limit

The package holds the interface (`policy`) and the in-process backend (`memory`);
``backpressure.redis`` shares the in-flight count and the queue across replicas. Time
(``sleep`` and ``monotonic``) is injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

from lockgate.gate._ids import new_id
from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested

log = get_logger("lockgate.gate.backpressure")

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]
OverloadReason = Literal["queue_full", "wait_timeout"]


@dataclass(frozen=True)
class LaneConfig:
    """Limits of one lane; ``lease_seconds`` bounds how long a dead replica can hold a slot."""

    max_concurrent: int
    max_queue: int
    max_wait_seconds: float
    lease_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.max_concurrent < 1 or self.max_queue < 0:
            raise ValueError("max_concurrent must be at least 1 and max_queue at least 0")
        if self.max_wait_seconds < 0 or self.lease_seconds <= 0:
            raise ValueError("max_wait_seconds must be >= 0 and lease_seconds positive")

    @property
    def retry_after(self) -> float:
        """What an overloaded caller is told: about one full wait, at least a second."""
        return max(1.0, self.max_wait_seconds)


@dataclass(frozen=True, slots=True)
class LaneSnapshot:
    name: str
    in_flight: int
    queued: int
    max_concurrent: int
    max_queue: int


@dataclass(slots=True, eq=False)
class Lease:
    """One held slot. ``waited`` is the seconds spent queued (0 when admitted at once)."""

    name: str
    started: float
    id: str = field(default_factory=new_id)
    waited: float = 0.0


class Overloaded(Exception):
    def __init__(self, name: str, retry_after: float, reason: OverloadReason) -> None:
        self.name = name
        self.retry_after = retry_after
        self.reason: OverloadReason = reason
        super().__init__(f"lane {name!r} is overloaded ({reason}); retry in {retry_after:.0f}s")


class BackpressureUnavailable(Exception):
    """The shared store is unreachable; fall back to a process-local lane."""


OnRefresh = Callable[[list[LaneSnapshot]], Awaitable[None] | None]


class BackpressureManager(ABC):
    """Lanes by name: ``lanes`` configures known ones, ``default`` any other name."""

    def __init__(
        self,
        lanes: Mapping[str, LaneConfig],
        *,
        default: LaneConfig | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._lanes = dict(lanes)
        self._default = default
        self._sleep = sleep
        self._monotonic = monotonic
        self._seen: dict[str, None] = dict.fromkeys(self._lanes)
        self._refresher: asyncio.Task[None] | None = None

    def lane(self, name: str) -> LaneConfig:
        config = self._lanes.get(name, self._default)
        if config is None:
            raise KeyError(f"no backpressure lane configured for {name!r}")
        if name not in self._seen:
            self._seen[name] = None
        return config

    @asynccontextmanager
    async def slot(self, name: str) -> AsyncIterator[Lease]:
        """Hold one slot of ``name`` for the block; freed on exit, even on cancellation."""
        lease = await self.acquire(name)
        try:
            yield lease
        finally:
            try:
                await asyncio.shield(self.release(lease))
            except BackpressureUnavailable as exc:  # the lease expires on its own
                log.warning("lease release failed", lane=name, error=str(exc))

    @abstractmethod
    async def acquire(self, name: str) -> Lease:
        """Take a slot, waiting in the bounded queue; prefer :meth:`slot`."""

    @abstractmethod
    async def release(self, lease: Lease) -> None:
        """Free a slot; releasing twice is harmless."""

    @abstractmethod
    async def extend(self, lease: Lease) -> bool:
        """Push the lease's expiry ``lease_seconds`` ahead (long streams); False if lost."""

    @abstractmethod
    async def snapshot(self, name: str) -> LaneSnapshot: ...

    async def refresh_gauges(self) -> list[LaneSnapshot]:
        """Snapshots of every configured or used lane (shared numbers in the Redis backend)."""
        return [await self.snapshot(name) for name in list(self._seen)]

    def start_refresher(
        self, interval: float = 15.0, on_refresh: OnRefresh | None = None
    ) -> asyncio.Task[None]:
        """Refresh snapshots every ``interval`` seconds in a background task until aclose()."""
        if self._refresher is not None and not self._refresher.done():
            raise RuntimeError("the refresher is already running")
        self._refresher = asyncio.create_task(
            self._refresh_loop(interval, on_refresh), name="lockgate-backpressure-refresher"
        )
        return self._refresher

    async def _refresh_loop(self, interval: float, on_refresh: OnRefresh | None) -> None:
        while True:
            try:
                snapshots = await self.refresh_gauges()
                result = on_refresh(snapshots) if on_refresh is not None else None
                if inspect.isawaitable(result):
                    await result
            except BackpressureUnavailable as exc:
                log.warning("backpressure gauges not refreshed", error=str(exc))
            except Exception:
                log.exception("backpressure refresher failed; retrying next interval")
            if cancel_requested():  # see lockgate/tasks.py: stop now, not one interval later
                return
            await self._sleep(interval)

    async def aclose(self) -> None:
        """Stop the refresher; the manager stays usable."""
        task, self._refresher = self._refresher, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
