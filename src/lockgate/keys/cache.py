"""Resolved ``/v1`` keys, cached per process, and their revocation across replicas.

Resolving a key is one indexed lookup, but at thousands of requests per second even that is the
slowest part of a request, so each process keeps what it resolved for `ttl` seconds. A key that
is revoked must stop working at once everywhere: the revoking process drops it from its own cache
and, when Redis is configured, publishes its id on `CHANNEL`; every process listens and drops it
too (`RevocationListener`). The TTL only bounds how stale an entry can get if a message is lost
(a Redis reconnect) or an account is disabled.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from redis.asyncio import Redis

from lockgate.gate.budget import BudgetLimit
from lockgate.models import ApiKey, User
from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested

CHANNEL = "lockgate:keys:revoked"
log = get_logger("lockgate.keys")


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a request needs of a key and its owner (a snapshot, safe outside any DB session)."""

    id: uuid.UUID
    user_id: uuid.UUID
    rpm: int | None
    tpm: int | None
    allowed_models: frozenset[str] | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    user_active: bool
    budget_limits: tuple[BudgetLimit, ...] = ()
    """The key's daily/monthly budgets in the gate's time zone (built once, not per request)."""

    @classmethod
    def of(cls, key: ApiKey, user: User, tz: str) -> KeyInfo:
        limits = []
        if key.daily_budget_usd is not None:
            limits.append(BudgetLimit(f"key:{key.id}:daily", key.daily_budget_usd, "daily", tz))
        if key.monthly_budget_usd is not None:
            limits.append(
                BudgetLimit(f"key:{key.id}:monthly", key.monthly_budget_usd, "monthly", tz)
            )
        return cls(
            id=key.id,
            user_id=user.id,
            rpm=key.rpm,
            tpm=key.tpm,
            allowed_models=frozenset(key.allowed_models)
            if key.allowed_models is not None
            else None,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            user_active=user.is_active,
            budget_limits=tuple(limits),
        )


class KeyCache:
    """``key hash -> KeyInfo`` for `ttl` seconds (monotonic time; 0 disables the cache)."""

    def __init__(self, ttl: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, tuple[float, KeyInfo]] = {}
        self._loading: dict[str, asyncio.Future[KeyInfo | None]] = {}

    async def load(
        self, key_hash: str, loader: Callable[[], Awaitable[KeyInfo | None]]
    ) -> KeyInfo | None:
        """The cached entry, else `loader()`'s — run once however many requests miss at the
        same moment (when an entry expires under load, every request in flight misses it)."""
        info = self.get(key_hash)
        if info is not None:
            return info
        pending = self._loading.get(key_hash)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[KeyInfo | None] = asyncio.get_running_loop().create_future()
        self._loading[key_hash] = future
        try:
            info = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        else:
            future.set_result(info)
            if info is not None:
                self.put(key_hash, info)
            return info
        finally:
            del self._loading[key_hash]

    def get(self, key_hash: str) -> KeyInfo | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if entry[0] <= self._monotonic():
            del self._entries[key_hash]
            return None
        return entry[1]

    def put(self, key_hash: str, info: KeyInfo) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= 100_000:  # bounded: drop expired ones, else everything
            now = self._monotonic()
            self._entries = {h: e for h, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= 100_000:
                self._entries.clear()
        self._entries[key_hash] = (self._monotonic() + self.ttl, info)

    def stamp(self, key_hash: str, when: datetime) -> None:
        """Record a `last_used_at` stamp in the cached snapshot (keeps its expiry)."""
        entry = self._entries.get(key_hash)
        if entry is not None:
            self._entries[key_hash] = (entry[0], replace(entry[1], last_used_at=when))

    def drop(self, key_id: uuid.UUID) -> None:
        for key_hash in [h for h, (_, info) in self._entries.items() if info.id == key_id]:
            del self._entries[key_hash]

    def clear(self) -> None:
        self._entries.clear()


async def announce_revocation(cache: KeyCache, redis: Redis | None, key_id: uuid.UUID) -> None:
    """Drop the key here and, with Redis, in every other process."""
    cache.drop(key_id)
    if redis is not None:
        await redis.publish(CHANNEL, str(key_id))


class RevocationListener:
    """Subscribes to `CHANNEL` and drops each announced key; reconnects after a Redis outage
    (clearing the cache then, since announcements may have been missed meanwhile)."""

    def __init__(self, cache: KeyCache, redis: Redis) -> None:
        self._cache = cache
        self._redis = redis
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lockgate-key-revocations")

    async def _run(self) -> None:
        delay = 0.5
        while not cancel_requested():  # see lockgate/tasks.py
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self._cache.clear()
                    self.ready.set()
                    delay = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        data = message["data"]
                        text = data.decode() if isinstance(data, bytes) else str(data)
                        try:
                            self._cache.drop(uuid.UUID(text))
                        except ValueError:
                            continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("key_revocations_disconnected", error=type(exc).__name__)
                self.ready.clear()
                if cancel_requested():
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
