"""Exact HTTP rate limits per client, in memory or shared by every replica through Redis.

Every request under ``/api/`` and ``/v1/`` counts against the global limit of its client (see
:mod:`lockgate.gate.client_id`); an endpoint scope (``chat``, ``images``, ``conversations``,
``auth``) adds its own burst limit on top, and both must pass::

    limiter = HttpRateLimiter(settings.redis_url, default="100/minute",
                              endpoint_limits={"chat": "10/10 seconds;60/minute"})
    app.add_middleware(RateLimitMiddleware, limiter=limiter)          # lockgate.http.ratelimit
    @router.post("/messages", dependencies=[Depends(endpoint_limit("chat"))])

**Exact.** Limits are strings parsed by the ``limits`` library and counted with its *moving
window* semantics: a hit is admitted only if fewer than N hits fell in the last window (a hit
exactly one window old still counts), so *every* window of that length admits at most N,
including one straddling a fixed-window boundary (a fixed window admits 2N there; the
sliding-window counter is a weighted estimate).

**All or nothing, in one step.** One check counts a request against all of its limits (e.g.
``10/10 seconds`` and ``60/minute``, and the per-IP ceiling with the global limit): it is admitted
only if *every* limit has room, and then counted in every one of them; a refused request is
counted nowhere. In memory the step has no ``await`` inside, so nothing interleaves with it; on
Redis it is one Lua script (one round trip), and Redis runs scripts one at a time, so N replicas
under any concurrency admit exactly N. Separate checks of one request (the middleware's global
limit, then an endpoint's) are separate steps: a request its endpoint refuses still counted
globally. The Redis layout is the ``limits`` library's (a list of hit timestamps per key, newest
first, trimmed to N: ``lockgate:ratelimit:LIMITER/http/<scope>/<client>/<N>/<multiples>/<unit>``),
so replicas of older versions count in the same lists. Timestamps come from the replica's clock
(``clock``, wall time): replicas must keep their clocks in sync (NTP).

**Headers.** ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (delta seconds), the
separate-field form of draft-ietf-httpapi-ratelimit-headers that most servers and clients read;
they describe the most restrictive limit (least remaining, then latest reset). For a moving
window, Reset is when the oldest counted hit leaves the window. A 429 describes the first limit
(shortest window first, the global limit before the per-IP one) without room and adds
``Retry-After`` (≥ 1 s): when that limit's oldest hit leaves its window.

**Redis down.** ``redis_failure="open"`` (the default; a rate limit is protection, not money):
log once and allow, without headers. ``"closed"``: 503 ``rate_limit_unavailable``. For
``retry_interval`` seconds after a failure the policy applies without touching Redis (no connect
timeout added to every request); then Redis is tried again and limiting resumes by itself
(redis-py reconnects, and reloads the Lua script after a restart).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from lockgate.gate.client_id import IPNetwork, client_address, credential_key, ip_bucket
from lockgate.gate.ratelimit.memory import MemoryWindows
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.gate.ratelimit.policy import (
    GLOBAL,
    PER_IP,
    KeyBy,
    RateLimitHeaders,
    RateLimitRule,
    RateLimitUnavailable,
    RedisFailure,
    Target,
    Verdict,
    decide,
)
from lockgate.gate.ratelimit.redis import RedisWindows, redis_pool
from lockgate.lru import BoundedLRU
from lockgate.observability.logging import get_logger


class HttpRateLimiter:
    """Per-client HTTP limits; see the module docstring. ``storage_uri=None`` keeps them in memory.

    ``per_ip`` optionally adds an IP (IPv6 /64) ceiling to the global limit of clients keyed on a
    token or cookie: those are not verified here, and inventing one must not buy a fresh bucket.
    ``clock`` is the wall clock of the hit timestamps (shared by replicas through Redis);
    ``monotonic`` times the Redis retry interval.
    """

    def __init__(
        self,
        storage_uri: str | None = None,
        *,
        default: str = "100/minute",
        endpoint_limits: Mapping[str, str] | None = None,
        per_ip: str | None = None,
        trusted_proxies: Sequence[IPNetwork] = (),
        redis_failure: RedisFailure = "open",
        retry_interval: float = 1.0,
        redis_timeout: float = 0.5,
        pool_timeout: float = 5.0,
        max_connections: int = 64,
        key_prefix: str = "lockgate:ratelimit",
        group: str = "http",
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        rules = {GLOBAL: default, **(endpoint_limits or {})}
        self.rules = {scope: RateLimitRule.parse(scope, text) for scope, text in rules.items()}
        self.per_ip = RateLimitRule.parse(PER_IP, per_ip) if per_ip else None
        self.group = group
        """The first part of every counter's key (``LIMITER/<group>/<scope>/<client>/...``)."""
        self._custom: BoundedLRU[tuple[str, str], RateLimitRule] = BoundedLRU()
        self.on_reject: Callable[[str], None] | None = None
        """Called with the scope of every refusal (metrics): a fixed name, never the client."""
        self.trusted_proxies = tuple(trusted_proxies)
        self.redis_failure: RedisFailure = redis_failure
        self.retry_interval = retry_interval
        self._memory: MemoryWindows | None = None
        self._redis: Redis | None = None
        self._pool: BlockingConnectionPool | None = None
        if storage_uri is None or storage_uri.startswith("memory://"):
            self._memory = MemoryWindows()
        else:
            _, self._pool = redis_pool(
                storage_uri,
                timeout=redis_timeout,
                pool_timeout=pool_timeout,
                max_connections=max_connections,
            )
            self._redis = Redis(connection_pool=self._pool)
            self._windows = RedisWindows(self._redis, key_prefix)
        self._monotonic = monotonic
        self._clock = clock
        self._skip_until: float | None = None
        self._log = get_logger("lockgate.ratelimit")
        self.fuse_with_gate = False
        """Set by the lifespan when the gate's store runs on this limiter's Redis: a request's
        global limit may then be counted in the gate's admit script (`pending`)."""

    @property
    def shared(self) -> bool:
        """True when the counters live in Redis (shared by every replica)."""
        return self._redis is not None

    def stored(self) -> int:
        """How many counters this process keeps in memory (0 with Redis)."""
        return 0 if self._memory is None else self._memory.stored()

    async def check(
        self, connection: HTTPConnection, scope: str = GLOBAL, *, by: KeyBy = "client"
    ) -> RateLimitHeaders | None:
        """Count one request of this client in ``scope``.

        Returns the headers to add to the response (``None`` when Redis is down and the policy is
        open); raises :class:`RateLimited` (429) or :class:`RateLimitUnavailable` (503).
        """
        key = None if by == "ip" else credential_key(connection)
        ip_key = ip_bucket(client_address(connection, self.trusted_proxies))
        targets = self._targets(scope, key or ip_key)
        if scope == GLOBAL and self.per_ip is not None and key is not None:
            targets += self.per_ip.targets(PER_IP, ip_key)
        return await self._enforce(targets)

    def pending(self, connection: HTTPConnection) -> PendingHit | None:
        """The global limit of this request, to count later in the gate's one round trip
        (`lockgate.gate.ratelimit.pending`), or ``None`` when it must be counted now (memory,
        not on the gate's Redis, or Redis recently down: the outage policy applies at once)."""
        if not self.fuse_with_gate or self._redis is None:
            return None
        if self._skip_until is not None and self._monotonic() < self._skip_until:
            return None
        key = credential_key(connection)
        ip_key = ip_bucket(client_address(connection, self.trusted_proxies))
        targets = self._targets(GLOBAL, key or ip_key)
        if self.per_ip is not None and key is not None:
            targets += self.per_ip.targets(PER_IP, ip_key)
        return PendingHit(self, targets)

    def hit_command(self, targets: list[Target]) -> tuple[list[str], str, float]:
        """The keys, arguments (one string) and time of counting ``targets`` in another script."""
        now = self._clock()
        return self._windows.keys(targets), self._windows.blob(targets, now), now

    def hit_answered(
        self, targets: list[Target], raw: bytes, now: float
    ) -> RateLimitHeaders | None:
        """The headers of a hit counted by another script, or `RateLimited`."""
        if self._skip_until is not None:
            self._skip_until = None
            self._log.info("rate_limit_storage_back")
        return self._verdict(targets, self._windows.verdict(raw), now)

    def hit_unavailable(self, exc: Exception) -> None:
        """A hit counted by another script could not be: the outage policy (open: allow without
        headers; closed: `RateLimitUnavailable`)."""
        self._unavailable(exc)

    async def enforce(self, targets: list[Target]) -> RateLimitHeaders | None:
        """Count ``targets`` now (what :meth:`check` does once it has them)."""
        return await self._enforce(targets)

    async def check_key(self, key: str, scope: str = GLOBAL) -> RateLimitHeaders | None:
        """:meth:`check` for a caller that already knows the key (e.g. ``key:<virtual key id>``)."""
        return await self._enforce(self._targets(scope, key))

    async def check_custom(self, scope: str, key: str, limit: str) -> RateLimitHeaders | None:
        """Count one hit against an ad-hoc limit (e.g. a virtual key's own ``"60/minute"``)."""
        rule = self._custom.get((scope, limit))
        if rule is None:
            rule = self._custom.put((scope, limit), RateLimitRule.parse(scope, limit))
        return await self._enforce(rule.targets(f"{self.group}/{scope}", key))

    async def check_scopes(self, hits: Sequence[tuple[str, str]]) -> RateLimitHeaders | None:
        """Count one hit against several scopes at once, all or nothing: ``[(scope, key)]``
        (the sign-in limits: the account's and the IP's, `lockgate.auth.login_limit`)."""
        targets: list[Target] = []
        for scope, key in hits:
            targets += self._targets(scope, key)
        return await self._enforce(targets)

    async def forget(self, scope: str, key: str) -> None:
        """Drop ``key``'s counters in ``scope`` (a successful sign-in clears its account's).
        Best effort: with Redis down there is nothing to forget that will not expire."""
        targets = self._targets(scope, key)
        if self._memory is not None:
            self._memory.forget(targets)
            return
        try:
            await self._windows.forget(targets)
        except (RedisError, OSError) as exc:
            self._log.warning("rate_limit_forget_failed", scope=scope, error=repr(exc))

    def _targets(self, scope: str, key: str) -> list[Target]:
        rule = self.rules.get(scope)
        if rule is None:
            raise KeyError(f"no rate limit configured for scope {scope!r}")
        return rule.targets(f"{self.group}/{scope}", key)

    async def _enforce(self, targets: list[Target]) -> RateLimitHeaders | None:
        if self._memory is not None:
            now = self._clock()
            return self._verdict(targets, self._memory.hit(targets, now), now)
        if self._skip_until is not None and self._monotonic() < self._skip_until:
            self._unavailable()
            return None
        now = self._clock()
        try:
            verdict = await self._windows.hit(targets, now)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            return None
        if self._skip_until is not None:
            self._skip_until = None
            self._log.info("rate_limit_storage_back")
        return self._verdict(targets, verdict, now)

    def _verdict(
        self, targets: list[Target], verdict: Verdict, now: float
    ) -> RateLimitHeaders | None:
        if verdict.refused >= 0 and self.on_reject is not None:
            self.on_reject(targets[verdict.refused].scope)
        return decide(targets, verdict, now)

    def _unavailable(self, exc: Exception | None = None) -> None:
        if exc is not None:
            if self._skip_until is None:
                self._log.warning(
                    "rate_limit_storage_down", policy=self.redis_failure, error=repr(exc)
                )
            self._skip_until = self._monotonic() + self.retry_interval
        if self.redis_failure == "closed":
            retry = str(max(1, math.ceil(self.retry_interval)))
            raise RateLimitUnavailable(headers={"Retry-After": retry})

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
        if self._pool is not None:
            await self._pool.aclose()
