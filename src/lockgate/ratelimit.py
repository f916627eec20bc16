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
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from lockgate.auth.emails import normalize_email
from lockgate.errors import RateLimited
from lockgate.gate.ratelimit import open_storage
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.auth")


class LoginLimiter:
    def __init__(self, per_account: str, per_ip: str, *, storage_uri: str | None = None) -> None:
        self._storage, self._pool = open_storage(
            storage_uri,
            timeout=0.5,
            pool_timeout=5.0,
            max_connections=16,
            key_prefix="lockgate:login",
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._per_account: list[RateLimitItem] = parse_many(per_account)
        self._per_ip: list[RateLimitItem] = parse_many(per_ip)

    async def check(self, *, email: str | None, ip: str) -> None:
        """Count one attempt; raise :class:`RateLimited` if either scope is over its limit.

        ``email=None`` counts against the IP only (registration, which has no account yet).
        """
        scopes = [("ip", ip, self._per_ip)]
        if email is not None:
            scopes.insert(0, ("account", normalize_email(email), self._per_account))
        try:
            for scope, key, items in scopes:
                for item in items:
                    if not await self._limiter.hit(item, "login", scope, key):
                        stats = await self._limiter.get_window_stats(item, "login", scope, key)
                        raise RateLimited(
                            "Too many sign-in attempts. Try again later.",
                            retry_after=max(1.0, stats.reset_time - time.time()),
                        )
        except StorageError as exc:
            # Redis down: sign-in stays possible (passwords still protect accounts); logged.
            log.warning("login_limiter_unavailable", error=str(exc.storage_error))

    async def reset(self, *, email: str) -> None:
        """Forget an account's attempts after a successful sign-in."""
        try:
            for item in self._per_account:
                await self._limiter.clear(item, "login", "account", normalize_email(email))
        except StorageError as exc:
            log.warning("login_limiter_unavailable", error=str(exc.storage_error))

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
