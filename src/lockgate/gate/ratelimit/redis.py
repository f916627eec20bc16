"""Rate-limit counters shared by every replica through Redis: one Lua script per hit.

The layout is the ``limits`` library's (a list of hit timestamps per key, newest first), so
replicas of older versions count in the same lists; see ``ratelimit_hit.lua``.
"""

from __future__ import annotations

from typing import Any

from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from lockgate.gate._lua import Layout, LuaFunction
from lockgate.gate._redis import register
from lockgate.gate.ratelimit.policy import Target, Verdict

HIT = LuaFunction(__package__, "ratelimit_hit", Layout(("lists...",), ("now", "limits...")))
"""Count a hit in every list, or in none (``ratelimit_hit.lua``)."""


class RedisWindows:
    """The counters in one Redis, under ``key_prefix``."""

    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self._redis = redis
        self._script = register(redis, HIT.script)
        self._prefix = f"{key_prefix}:"

    async def hit(self, targets: list[Target], now: float) -> Verdict:
        args: list[float | int] = [now]
        for target in targets:
            args += (target.limit.amount, target.limit.expiry)
        return self.verdict(await self._script(keys=self.keys(targets), args=args))

    def keys(self, targets: list[Target]) -> list[str]:
        """The counters' lists of ``targets`` (`HIT`'s KEYS)."""
        prefix = self._prefix
        return [prefix + t.key for t in targets]

    @staticmethod
    def blob(targets: list[Target], now: float) -> str:
        """`HIT`'s ARGV as one ``|``-separated string (for the gate's combined admit)."""
        parts = [repr(now)]
        for target in targets:
            parts += (str(target.limit.amount), str(target.limit.expiry))
        return "".join([f"{part}|" for part in parts])

    @staticmethod
    def verdict(raw: bytes) -> Verdict:
        """`HIT`'s reply, read."""
        reply = raw.split()
        if reply[0] == b"0":
            return Verdict(int(reply[1]) - 1, [(0, float(reply[2]))])
        pairs = reply[1:]
        return Verdict(-1, [(int(pairs[i]), float(pairs[i + 1])) for i in range(0, len(pairs), 2)])

    async def forget(self, targets: list[Target]) -> None:
        """Drop the counters of ``targets``."""
        await self._redis.delete(*[self._prefix + t.key for t in targets])


def redis_pool(
    uri: str, *, timeout: float, pool_timeout: float, max_connections: int
) -> tuple[str, BlockingConnectionPool]:
    """The ``limits``-style scheme of ``uri`` and a connection pool for it."""
    url = uri.removeprefix("async+")
    schemes = {"redis://": "async+redis://", "rediss://": "async+rediss://"}
    schemes["unix://"] = "async+redis+unix://"
    prefix = next((p for p in schemes if url.startswith(p)), None)
    if prefix is None:
        raise ValueError(f"rate limit storage {uri!r}: use redis://, rediss:// or unix://")
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,  # waiting for a free connection under load is not "Redis is down"
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),  # redis-py's default (10 retries) would stall every request
    )
    return schemes[prefix] + url.removeprefix(prefix), pool


def open_storage(
    uri: str | None, *, timeout: float, pool_timeout: float, max_connections: int, key_prefix: str
) -> tuple[Storage, BlockingConnectionPool | None]:
    """A ``limits`` storage for ``uri`` (memory when ``None``), e.g. for the sign-in limiter."""
    if uri is None or uri.startswith("memory://"):
        return MemoryStorage(), None
    storage_uri, pool = redis_pool(
        uri, timeout=timeout, pool_timeout=pool_timeout, max_connections=max_connections
    )
    options: dict[str, Any] = {"connection_pool": pool}
    storage = RedisStorage(
        storage_uri,
        wrap_exceptions=True,
        implementation="redispy",
        key_prefix=key_prefix,
        **options,
    )
    return storage, pool
