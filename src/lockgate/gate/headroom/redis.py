"""Provider headroom shared by every replica: one Lua script per atomic step.

The rules are `lockgate.gate.headroom.policy`'s.

Keys per name, hash-tagged so a cluster keeps them on one node (``{openai}``)::

    lockgate:headroom:{name}:log    ZSET  member "<id>:<tokens>", score = admitted at (ms)
    lockgate:headroom:{name}:used   STRING  sum of the log's tokens, kept in step with trims
    lockgate:headroom:{name}:block  STRING  blocked until (ms), PX = the block's length
    lockgate:headroom:{name}:up     HASH    the upstream's last report (rr, rr_at, rt, rt_at)

The acquire script trims the log, checks the block, rpm, then tpm, and adds the entry, all in one
step: N replicas under any concurrency admit exactly the window's limits. Time is the injected
clock's (milliseconds), never the Redis server's, so tests drive it with a FakeClock; replicas
must keep their clocks in sync. Keys expire (PX) once nothing in them can matter any more.
Every Redis failure is raised as :class:`HeadroomUnavailable`.

    headroom = RedisHeadroom.from_url(settings.redis_url, limits, clock=clock)
"""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from lockgate.clock import Clock, system_clock
from lockgate.gate._ids import new_id
from lockgate.gate._lua import Layout, LuaFunction
from lockgate.gate._redis import blob, redis_errors, register, to_ms
from lockgate.gate.headroom.policy import (
    HeadroomKind,
    HeadroomLimits,
    HeadroomSnapshot,
    HeadroomUnavailable,
    NoHeadroom,
    UpstreamView,
    compose_snapshot,
    upstream_block,
    upstream_view,
)
from lockgate.lru import BoundedLRU
from lockgate.providers.base import RateLimitInfo

ACQUIRE = LuaFunction(
    __package__,
    "headroom_acquire",
    Layout(("log", "used", "block"), ("now", "window", "rpm", "tpm", "tokens", "id")),
    helpers=("headroom_trim",),
)
"""Admit one call to a provider's window (``headroom_acquire.lua``)."""
OBSERVE = LuaFunction(
    __package__,
    "headroom_observe",
    Layout(("block", "up"), ("now", "until", "up_ttl", "fields...")),
)
"""Remember an upstream's report (``headroom_observe.lua``)."""

_KINDS: dict[int, HeadroomKind] = {1: "requests", 2: "tokens", 3: "upstream"}
_UNLIMITED = HeadroomLimits()


def _report_fields(view: UpstreamView) -> list[str]:
    fields: list[str] = []
    for prefix, quota in (("rr", view.requests), ("rt", view.tokens)):
        if quota is not None and quota[1] is not None:
            fields += [prefix, str(quota[0]), f"{prefix}_at", str(round(quota[1] * 1000))]
    return fields


def _parse_report(raw: Mapping[bytes, bytes]) -> UpstreamView:
    def quota(prefix: str) -> tuple[int, float | None] | None:
        remaining, at = raw.get(prefix.encode()), raw.get(f"{prefix}_at".encode())
        if remaining is None or at is None:
            return None
        return int(remaining), int(at) / 1000

    return UpstreamView(quota("rr"), quota("rt"))


class RedisHeadroom:
    """:class:`~lockgate.gate.headroom.MemoryHeadroom`'s semantics, shared through Redis."""

    def __init__(
        self,
        redis: Redis,
        limits: Mapping[str, HeadroomLimits] | None = None,
        *,
        clock: Clock = system_clock,
        window_s: float = 60.0,
        unknown_reset_s: float = 1.0,
        prefix: str = "lockgate:headroom",
        owns_client: bool = False,
    ) -> None:
        self.limits = dict(limits or {})
        self.window_s = window_s
        self.unknown_reset_s = unknown_reset_s
        self.redis = self._redis = redis
        self.clock = self._clock = clock
        self._prefix = prefix
        self._owns_client = owns_client
        self._acquire = register(redis, ACQUIRE.script)
        self._observe = register(redis, OBSERVE.script)
        self._key_cache: BoundedLRU[str, list[str]] = BoundedLRU()

    @classmethod
    def from_url(
        cls,
        url: str,
        limits: Mapping[str, HeadroomLimits] | None = None,
        *,
        clock: Clock = system_clock,
        window_s: float = 60.0,
        unknown_reset_s: float = 1.0,
        timeout: float = 0.5,
    ) -> RedisHeadroom:
        """Own a client for ``url`` (closed by :meth:`aclose`), failing fast when Redis is down."""
        redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        return cls(
            redis,
            limits,
            clock=clock,
            window_s=window_s,
            unknown_reset_s=unknown_reset_s,
            owns_client=True,
        )

    def _keys(self, name: str, *parts: str) -> list[str]:
        return [f"{self._prefix}:{{{name}}}:{part}" for part in parts]

    def acquire_keys(self, name: str) -> list[str]:
        """The keys of `ACQUIRE` for ``name`` (the list is cached: do not change it)."""
        keys = self._key_cache.get(name)
        if keys is None:
            keys = self._key_cache.put(name, self._keys(name, "log", "used", "block"))
        return keys

    def acquire_args(self, name: str, tokens: int, now_ms: int) -> list[str | int]:
        """The arguments of `ACQUIRE` for ``tokens`` more to ``name`` (``ValueError`` if < 0)."""
        if tokens < 0:
            raise ValueError(f"tokens must be >= 0, got {tokens}")
        limits = self.limits.get(name) or _UNLIMITED
        return [
            now_ms,
            round(self.window_s * 1000),
            -1 if limits.rpm is None else limits.rpm,
            -1 if limits.tpm is None else limits.tpm,
            tokens,
            new_id(),  # the log entry's id
        ]

    def acquire_blob(self, name: str, tokens: int, now_ms: int) -> str:
        """``blob(acquire_args(...))``."""
        return blob(self.acquire_args(name, tokens, now_ms))

    @staticmethod
    def acquired(name: str, reply: list[int]) -> None:
        """Raise `NoHeadroom` if `ACQUIRE` refused."""
        kind, wait_ms = reply
        if kind:
            raise NoHeadroom(name, int(wait_ms) / 1000, _KINDS[int(kind)])

    async def acquire(self, name: str, tokens: int) -> None:
        args = self.acquire_args(name, tokens, to_ms(self._clock()))
        with redis_errors(HeadroomUnavailable, "provider headroom"):
            reply = await self._acquire(keys=self.acquire_keys(name), args=args)
        self.acquired(name, reply)

    async def observe(
        self, name: str, info: RateLimitInfo | None, *, retry_after: float | None = None
    ) -> None:
        now = self._clock().timestamp()
        until = upstream_block(info, retry_after, now, self.unknown_reset_s)
        args: list[str | int] = [round(now * 1000), 0 if until is None else round(until * 1000)]
        if info is None:
            args.append(0)
        else:
            view = upstream_view(info, now, self.window_s)
            expires = view.expires_at
            args.append(max(1, round(((expires or now) - now) * 1000)))
            args += _report_fields(view)
        with redis_errors(HeadroomUnavailable, "provider headroom"):
            await self._observe(keys=self._keys(name, "block", "up"), args=args)

    async def snapshot(self, name: str) -> HeadroomSnapshot:
        now_ms = to_ms(self._clock())
        window_ms = round(self.window_s * 1000)
        log, block, up = self._keys(name, "log", "block", "up")
        with redis_errors(HeadroomUnavailable, "provider headroom"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrangebyscore(log, f"({now_ms - window_ms}", "+inf", withscores=True)
                pipe.get(block)
                pipe.hgetall(up)
                members, blocked, report = await pipe.execute()
        entries = [(score / 1000, int(member.rsplit(b":", 1)[1])) for member, score in members]
        return compose_snapshot(
            self.limits.get(name),
            entries,
            int(blocked) / 1000 if blocked else None,
            _parse_report(report) if report else None,
            now_ms / 1000,
            self.window_s,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()
