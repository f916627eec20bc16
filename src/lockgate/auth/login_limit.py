"""Sign-in attempt limits (per account and per IP): two scopes of the gate's rate limiter.

The counting is `lockgate.gate.ratelimit.HttpRateLimiter`'s (moving windows, in memory or in one
Redis, all or nothing in one step); this module only says what a sign-in attempt counts against:
its account (the normalised email, so no spelling buys a fresh bucket) and its IP. A refused
attempt is counted nowhere. Redis down: sign-in stays possible (passwords still protect
accounts), logged. The Redis keys are the ones the ``limits`` library used here before
(``lockgate:login:LIMITER/login/<account|ip>/<key>/...``).

Example::

    limiter = LoginLimiter("5/minute", "30/minute")
    await limiter.check(email="a@b.c", ip="127.0.0.1")   # raises RateLimited when over
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lockgate.auth.emails import normalize_email
from lockgate.errors import RateLimited
from lockgate.gate.ratelimit import HttpRateLimiter

ACCOUNT = "account"
IP = "ip"


class LoginLimiter:
    def __init__(
        self,
        per_account: str,
        per_ip: str,
        *,
        storage_uri: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limiter = HttpRateLimiter(
            storage_uri,
            endpoint_limits={ACCOUNT: per_account, IP: per_ip},
            group="login",
            key_prefix="lockgate:login",
            redis_failure="open",
            redis_timeout=0.5,
            pool_timeout=5.0,
            max_connections=16,
            clock=clock,
        )

    async def check(self, *, email: str | None, ip: str) -> None:
        """Count one attempt; raise :class:`RateLimited` if either scope is over its limit.

        ``email=None`` counts against the IP only (registration, which has no account yet).
        """
        hits = [(IP, ip)]
        if email is not None:
            hits.insert(0, (ACCOUNT, normalize_email(email)))
        try:
            await self.limiter.check_scopes(hits)
        except RateLimited as exc:
            raise RateLimited(
                "Too many sign-in attempts. Try again later.", retry_after=exc.retry_after
            ) from None

    async def reset(self, *, email: str) -> None:
        """Forget an account's attempts after a successful sign-in."""
        await self.limiter.forget(ACCOUNT, normalize_email(email))

    async def aclose(self) -> None:
        await self.limiter.aclose()
