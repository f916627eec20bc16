"""The backpressure in one process (see `lockgate.gate.backpressure.policy` for the rules)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from lockgate.gate.backpressure.policy import (
    BackpressureManager,
    LaneConfig,
    LaneSnapshot,
    Lease,
    Monotonic,
    Overloaded,
    Sleep,
)


@dataclass
class _Lane:
    in_flight: int = 0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)


class MemoryBackpressure(BackpressureManager):
    """Lanes for one process: a semaphore with a bounded FIFO of waiters. Example::

    manager = MemoryBackpressure({"openai": LaneConfig(8, max_queue=32, max_wait_seconds=10)})
    """

    def __init__(
        self,
        lanes: Mapping[str, LaneConfig],
        *,
        default: LaneConfig | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        super().__init__(lanes, default=default, sleep=sleep, monotonic=monotonic)
        self._state: dict[str, _Lane] = {}
        self._held: set[str] = set()

    async def acquire(self, name: str) -> Lease:
        config = self.lane(name)
        lane = self._state.get(name)
        if lane is None:
            lane = self._state[name] = _Lane()
        lease = Lease(name, started=self._monotonic())
        if lane.in_flight < config.max_concurrent and not lane.waiters:
            lane.in_flight += 1
            return self._hold(lease)
        if len(lane.waiters) >= config.max_queue:
            raise Overloaded(name, config.retry_after, "queue_full")
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane.waiters.append(granted)
        timer = asyncio.ensure_future(self._sleep(config.max_wait_seconds))
        try:
            await asyncio.wait([granted, timer], return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            if granted.done() and not granted.cancelled():
                self._hand_on(lane)  # the slot came too late for us: pass it on
            raise
        finally:
            timer.cancel()
            if not granted.done():
                granted.cancel()
                lane.waiters.remove(granted)
        if granted.cancelled():
            raise Overloaded(name, config.retry_after, "wait_timeout")
        lease.waited = self._monotonic() - lease.started
        return self._hold(lease)

    def _hold(self, lease: Lease) -> Lease:
        self._held.add(lease.id)
        return lease

    def _hand_on(self, lane: _Lane) -> None:
        """Give a freed slot to the oldest waiter, or return it to the lane."""
        while lane.waiters:
            waiter = lane.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        lane.in_flight -= 1

    async def release(self, lease: Lease) -> None:
        if lease.id in self._held:
            self._held.discard(lease.id)
            self._hand_on(self._state[lease.name])

    async def extend(self, lease: Lease) -> bool:
        return lease.id in self._held

    async def snapshot(self, name: str) -> LaneSnapshot:
        config = self.lane(name)
        lane = self._state.get(name, _Lane())
        queued = sum(1 for waiter in lane.waiters if not waiter.done())
        return LaneSnapshot(name, lane.in_flight, queued, config.max_concurrent, config.max_queue)
