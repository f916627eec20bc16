"""Cached answers in the dedicated cache Redis (``LOCKGATE_CACHE_REDIS_URL``), shared by replicas.

One string key per entry, ``lockgate:cache:v1:e:<scope tag>:<model tag>:<exact key>``, holding
the entry's JSON and expiring on its own after the TTL (Redis reclaims the memory); a read also
checks the entry's ``expires_at`` against the injected clock. Purges walk the keys with
``SCAN MATCH`` on the tags in the key: a purge is an operator's rare act on a Redis of its own,
and no side index has to be kept consistent with expiring keys.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from redis.asyncio import Redis

from lockgate.cache.keys import tag
from lockgate.cache.store.base import Entry

PREFIX = "lockgate:cache:v1:e:"
SCAN_COUNT = 1000
DELETE_BATCH = 500


class RedisStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, entry_id: str, now: float) -> Entry | None:
        raw = await self._redis.get(PREFIX + entry_id)
        if raw is None:
            return None
        entry = Entry.loads(raw)
        return entry if entry.expires_at > now else None

    async def put(self, entry: Entry) -> None:
        ttl_ms = max(1, math.ceil((entry.expires_at - entry.created_at) * 1000))
        await self._redis.set(PREFIX + entry.id, entry.dumps(), px=ttl_ms)

    async def purge(self, *, scope: str | None = None, model: str | None = None) -> list[str]:
        scope_part = tag(scope) if scope is not None else "*"
        model_part = tag(model) if model is not None else "*"
        return await self._delete_matching(f"{PREFIX}{scope_part}:{model_part}:*")

    async def purge_scopes(self, scopes: Sequence[str]) -> list[str]:
        removed: list[str] = []
        for scope in scopes:
            removed += await self.purge(scope=scope)
        return removed

    async def _delete_matching(self, pattern: str) -> list[str]:
        removed: list[str] = []
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=pattern, count=SCAN_COUNT):
            batch.append(key)
            if len(batch) >= DELETE_BATCH:
                removed += await self._delete(batch)
                batch = []
        if batch:
            removed += await self._delete(batch)
        return removed

    async def _delete(self, keys: list[bytes]) -> list[str]:
        await self._redis.delete(*keys)
        return [key.decode()[len(PREFIX) :] for key in keys]

    async def close(self) -> None:
        """The client belongs to whoever opened it (the lifespan)."""
