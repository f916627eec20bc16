"""Sign-in attempt limits (per account and per IP) on the ``limits`` library.

The HTTP rate limits and the Redis backend arrive with the gate; this module is deliberately
small: a moving window in memory, checked before the password is verified.

Example::

    limiter = LoginLimiter("5/minute", "30/minute")
    await limiter.check(email="a@b.c", ip="127.0.0.1")   # raises RateLimited when over
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from lockgate.errors import RateLimited


class LoginLimiter:
    def __init__(self, per_account: str, per_ip: str) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._per_account: list[RateLimitItem] = parse_many(per_account)
        self._per_ip: list[RateLimitItem] = parse_many(per_ip)

    async def check(self, *, email: str | None, ip: str) -> None:
        """Count one attempt; raise :class:`RateLimited` if either scope is over its limit.

        ``email=None`` counts against the IP only (registration, which has no account yet).
        """
        scopes = [("ip", ip, self._per_ip)]
        if email is not None:
            scopes.insert(0, ("account", email.lower(), self._per_account))
        for scope, key, items in scopes:
            for item in items:
                if not await self._limiter.hit(item, "login", scope, key):
                    stats = await self._limiter.get_window_stats(item, "login", scope, key)
                    raise RateLimited(
                        "Too many sign-in attempts. Try again later.",
                        retry_after=max(1.0, stats.reset_time - time.time()),
                    )

    async def reset(self, *, email: str) -> None:
        """Forget an account's attempts after a successful sign-in."""
        for item in self._per_account:
            await self._limiter.clear(item, "login", "account", email.lower())
