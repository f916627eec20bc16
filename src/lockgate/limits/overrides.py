"""The admins' per-user overrides as the gate's `UserLimitsSource`.

Every process keeps the (few) overrides in memory, loaded at start-up, so the gate reads a
user's limits with one dict lookup on every admission. A change is committed to the database
first; then the process that made it reloads the user's row and, with Redis, publishes the user
id on `CHANNEL`; every process listening reloads that row too, so the next request on any replica
uses the new limits (the same mechanism as key revocation, keys/cache.py). After a Redis outage
the listener reloads every override (announcements may have been missed meanwhile).

An override replaces the YAML default field by field: a NULL field keeps the default::

    overrides = UserOverrides(defaults, sessionmaker, redis)
    await overrides.load_all()
    overrides.limits_for(user_id)          # effective limits, from memory
    await overrides.changed(user_id)       # after the commit: here and on every replica
"""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.db.engine import reading
from lockgate.gate import UserLimits
from lockgate.limits.repository import OverrideRepository
from lockgate.models import UserLimitOverride
from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested

CHANNEL = "lockgate:limits:changed"
log = get_logger("lockgate.limits")


def effective(defaults: UserLimits, row: UserLimitOverride | None) -> UserLimits:
    """The defaults with the row's non-NULL fields in their place."""
    if row is None:
        return defaults
    return UserLimits(
        daily_usd=row.daily_budget_usd if row.daily_budget_usd is not None else defaults.daily_usd,
        monthly_usd=row.monthly_budget_usd
        if row.monthly_budget_usd is not None
        else defaults.monthly_usd,
        rpm=row.rpm if row.rpm is not None else defaults.rpm,
        tpm=row.tpm if row.tpm is not None else defaults.tpm,
    )


class UserOverrides:
    def __init__(
        self,
        defaults: UserLimits,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis | None,
    ) -> None:
        self.defaults = defaults
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._limits: dict[uuid.UUID, UserLimits] = {}
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def limits_for(self, user_id: uuid.UUID) -> UserLimits:
        return self._limits.get(user_id, self.defaults)

    async def load_all(self) -> None:
        async with self._sessionmaker() as db:
            await reading(db)
            rows = await OverrideRepository(db).all()
        self._limits = {row.user_id: effective(self.defaults, row) for row in rows}

    async def reload(self, user_id: uuid.UUID) -> None:
        async with self._sessionmaker() as db:
            await reading(db)
            row = await OverrideRepository(db).get(user_id)
        if row is None:
            self._limits.pop(user_id, None)
        else:
            self._limits[user_id] = effective(self.defaults, row)

    async def changed(self, user_id: uuid.UUID) -> None:
        """Apply a committed change here, and announce it to every other process."""
        await self.reload(user_id)
        if self._redis is not None:
            await self._redis.publish(CHANNEL, str(user_id))

    def start(self) -> None:
        """Listen for other processes' changes (only with Redis)."""
        if self._redis is not None:
            self._task = asyncio.create_task(self._listen(self._redis), name="lockgate-limits")

    async def _listen(self, redis: Redis) -> None:
        delay = 0.5
        while not cancel_requested():  # see lockgate/tasks.py
            try:
                async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    await self.load_all()
                    self.ready.set()
                    delay = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._on_message(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("limit_overrides_disconnected", error=type(exc).__name__)
                self.ready.clear()
                if cancel_requested():
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _on_message(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        try:
            user_id = uuid.UUID(text)
        except ValueError:
            return
        await self.reload(user_id)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
