"""Backpressure shared by every replica through Redis.

Keys per lane (braces keep them in one Redis Cluster slot)::

    {prefix}{name}:leases   zset: lease id -> expiry (ms); its size is the in-flight count
    {prefix}{name}:queue    zset: waiter id -> expiry (ms); ordered by arrival, bounded globally

One Lua script purges expired entries (a dead replica's leases and waiters free themselves),
then admits a caller when ``rank < max_concurrent - in_flight``, where ``rank`` is its place in
the shared queue (a fresh caller ranks behind every waiter). So the limit is exact across
replicas and the queue is served first come, first served.

Waiting is polling, not pub/sub: nothing to keep subscribed, and a lost message cannot strand a
waiter. A waiter retries at once when a slot is released in its own process; otherwise the head
of the queue (rank below max_concurrent) polls every ``poll_min`` (20 ms) and the rest back off
exponentially up to ``poll_max`` (200 ms). A slot freed on another replica therefore sits idle
for at most ``poll_min``. Each process also caps its own queue at ``max_queue``.

Lease and queue expiry use the injected wall clock (shared across replicas); waits are measured
with the injected ``monotonic``/``sleep``. Any Redis failure raises
:class:`BackpressureUnavailable`: the caller should fall back to a process-local lane.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from lockgate.clock import Clock, system_clock
from lockgate.gate._lua import Layout, LuaFunction
from lockgate.gate._redis import blob, redis_errors, register, to_ms
from lockgate.gate.backpressure.policy import (
    BackpressureManager,
    BackpressureUnavailable,
    LaneConfig,
    LaneSnapshot,
    Lease,
    Monotonic,
    Overloaded,
    Sleep,
)
from lockgate.lru import BoundedLRU
from lockgate.observability.logging import get_logger

_LANE_KEYS = ("leases", "queue")
ACQUIRE = LuaFunction(
    __package__,
    "lane_acquire",
    Layout(
        _LANE_KEYS,
        ("now", "id", "lease_ms", "max_concurrent", "max_queue", "mode", "queue_ttl_ms"),
    ),
)
"""Take a slot, join the queue or refuse (``lane_acquire.lua``)."""
RELEASE = LuaFunction(__package__, "lane_release", Layout(_LANE_KEYS, ("id",)))
"""Free a lease's slot (``lane_release.lua``)."""
_EXTEND = LuaFunction(__package__, "lane_extend", Layout(("leases",), ("id", "now", "lease_ms")))

log = get_logger("lockgate.gate.backpressure")

_QUEUE_GRACE_MS = 2000
"""A waiter's queue entry outlives its max wait by this much, in case its replica dies."""


class RedisBackpressure(BackpressureManager):
    """Lanes shared by all replicas. Example::

    manager = RedisBackpressure(state.redis, {"openai": LaneConfig(8, 32, 10)}, clock=state.clock)
    """

    def __init__(
        self,
        redis: Redis,
        lanes: Mapping[str, LaneConfig],
        *,
        default: LaneConfig | None = None,
        clock: Clock = system_clock,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        prefix: str = "lockgate:lane:",
        poll_min: float = 0.02,
        poll_max: float = 0.2,
    ) -> None:
        super().__init__(lanes, default=default, sleep=sleep, monotonic=monotonic)
        self._redis = redis
        self.clock = self._clock = clock
        self._prefix = prefix
        self.poll_min, self.poll_max = poll_min, poll_max
        self.redis = redis
        self._acquire = register(redis, ACQUIRE.script)
        self._extend = register(redis, _EXTEND.script)
        self._waiting: Counter[str] = Counter()
        self._wakes: dict[str, asyncio.Event] = {}
        self._key_cache: BoundedLRU[str, list[str]] = BoundedLRU()
        self._limits_blob: dict[LaneConfig, tuple[str, str]] = {}

    def keys(self, name: str) -> list[str]:
        """The lane's leases and queue keys (the list is cached: do not change it)."""
        keys = self._key_cache.get(name)
        if keys is None:
            base = f"{self._prefix}{{{name}}}"
            keys = self._key_cache.put(name, [f"{base}:leases", f"{base}:queue"])
        return keys

    async def acquire(self, name: str) -> Lease:
        config, lease, wake, mode = self.start(name)
        try:
            code, rank = await self._try(lease, config, mode)
        except BackpressureUnavailable:
            raise
        except BaseException:
            await self._abandon(lease)  # e.g. cancelled mid-script: the lease may exist
            raise
        return await self.conclude(lease, config, code, rank, wake)

    def start(self, name: str) -> tuple[LaneConfig, Lease, asyncio.Event, str]:
        """A new lease's config, the event a local release sets, and the mode of its first try
        (``KeyError`` for an unknown lane). `lockgate.gate.gate_redis` runs that try inside the
        gate's admit script, then hands the answer to :meth:`conclude`."""
        config = self.lane(name)
        lease = Lease(name, started=self._monotonic())
        wake = self._wake(name)  # fetched before asking Redis: a release in between wakes us
        local_full = self._waiting[name] >= config.max_queue
        return config, lease, wake, "try" if local_full else "enqueue"

    def try_args(self, lease: Lease, config: LaneConfig, mode: str, now_ms: int) -> list[str | int]:
        """The arguments of `ACQUIRE` (keys: ``keys(lease.name)``)."""
        return [
            now_ms,
            lease.id,
            int(config.lease_seconds * 1000),
            config.max_concurrent,
            config.max_queue,
            mode,
            int(config.max_wait_seconds * 1000) + _QUEUE_GRACE_MS,
        ]

    def try_blob(self, lease: Lease, config: LaneConfig, mode: str, now_ms: int) -> str:
        """``blob(try_args(...))``, built faster (the lane's limits are cached as text)."""
        limits = self._limits_blob.get(config)
        if limits is None:
            args = self.try_args(lease, config, mode, now_ms)
            limits = self._limits_blob[config] = (blob(args[2:5]), blob(args[6:]))
        return f"{now_ms}|{lease.id}|{limits[0]}{mode}|{limits[1]}"

    async def conclude(
        self, lease: Lease, config: LaneConfig, code: int, rank: int, wake: asyncio.Event
    ) -> Lease:
        """The rest of :meth:`acquire` once the first try answered ``code`` and ``rank``: the
        lease, or `Overloaded` (queue full, or the wait ran out), waiting in the queue if told."""
        try:
            if code == 1:
                return lease
            if code == -1:
                raise Overloaded(lease.name, config.retry_after, "queue_full")
            if await self._wait(lease, config, rank, wake):
                lease.waited = self._monotonic() - lease.started
                return lease
        except (BackpressureUnavailable, Overloaded):
            raise
        except BaseException:
            await self._abandon(lease)  # e.g. cancelled mid-script: the lease may exist
            raise
        await self._abandon(lease)
        raise Overloaded(lease.name, config.retry_after, "wait_timeout")

    async def _wait(self, lease: Lease, config: LaneConfig, rank: int, wake: asyncio.Event) -> bool:
        deadline = lease.started + config.max_wait_seconds
        backoff = self.poll_min
        self._waiting[lease.name] += 1
        try:
            while (remaining := deadline - self._monotonic()) > 0:
                pause = self.poll_min if rank < config.max_concurrent else backoff
                backoff = min(backoff * 2, self.poll_max)
                await self._nap(wake, min(pause, remaining))
                wake = self._wake(lease.name)
                code, rank = await self._try(lease, config, "wait")
                if code == 1:
                    return True
            return False
        finally:
            self._waiting[lease.name] -= 1

    async def _try(self, lease: Lease, config: LaneConfig, mode: str) -> tuple[int, int]:
        args = self.try_args(lease, config, mode, to_ms(self._clock()))
        with redis_errors(BackpressureUnavailable, "backpressure"):
            code, rank = await self._acquire(keys=self.keys(lease.name), args=args)
        return int(code), int(rank)

    def _wake(self, name: str) -> asyncio.Event:
        """The event the next local release of ``name`` sets (fetched before asking Redis)."""
        return self._wakes.setdefault(name, asyncio.Event())

    async def _nap(self, wake: asyncio.Event, seconds: float) -> None:
        if wake.is_set():
            return
        woken = asyncio.ensure_future(wake.wait())
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait([woken, timer], return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            timer.cancel()

    async def _abandon(self, lease: Lease) -> None:
        """Best effort: drop our lease and queue entry; if Redis is gone, they expire."""
        leases, queue = self.keys(lease.name)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zrem(leases, lease.id)
                pipe.zrem(queue, lease.id)
                await asyncio.shield(pipe.execute())
        except (RedisError, OSError) as exc:
            log.warning("could not withdraw from lane", lane=lease.name, error=repr(exc))

    async def release(self, lease: Lease) -> None:
        try:
            with redis_errors(BackpressureUnavailable, "backpressure"):
                await self._redis.zrem(self.keys(lease.name)[0], lease.id)
        finally:
            self.released(lease)

    def released(self, lease: Lease) -> None:
        """Wake this process's waiters for the lane (its slot was freed, or may have been)."""
        wake = self._wakes.pop(lease.name, None)
        if wake is not None:
            wake.set()

    async def extend(self, lease: Lease) -> bool:
        config = self.lane(lease.name)
        args: list[str | int] = [lease.id, to_ms(self._clock()), int(config.lease_seconds * 1000)]
        with redis_errors(BackpressureUnavailable, "backpressure"):
            held = await self._extend(keys=self.keys(lease.name)[:1], args=args)
        return bool(held)

    async def snapshot(self, name: str) -> LaneSnapshot:
        config = self.lane(name)
        live = f"({to_ms(self._clock())}"
        with redis_errors(BackpressureUnavailable, "backpressure"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in self.keys(name):
                    pipe.zcount(key, live, "+inf")
                in_flight, queued = await pipe.execute()
        return LaneSnapshot(
            name, int(in_flight), int(queued), config.max_concurrent, config.max_queue
        )
