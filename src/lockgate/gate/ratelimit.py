"""Exact HTTP rate limits per client, in memory or shared by every replica through Redis.

Every request under ``/api/`` and ``/v1/`` counts against the global limit of its client (see
:mod:`lockgate.gate.client_id`); an endpoint scope (``chat``, ``images``, ``conversations``,
``auth``) adds its own burst limit on top, and both must pass::

    limiter = HttpRateLimiter(settings.redis_url, default="100/minute",
                              endpoint_limits={"chat": "10/10 seconds;60/minute"})
    app.add_middleware(RateLimitMiddleware, limiter=limiter)          # the global limit
    @router.post("/messages", dependencies=[Depends(endpoint_limit("chat"))])

**Exact.** The strategy is ``limits``' *moving window*: a hit is admitted only if fewer than N
hits fell in the last window, so *every* window of that length admits at most N, including one
straddling a fixed-window boundary (a fixed window admits 2N there; the sliding-window counter
is a weighted estimate). On Redis the check and the insert are one Lua script
(``limits/resources/redis/lua_scripts/acquire_moving_window.lua``: ``LINDEX`` of the N-th
newest entry, then ``LPUSH``/``LTRIM``), so N replicas under any concurrency admit exactly N. The
timestamp in the script is the replica's clock: replicas must keep their clocks in sync (NTP).

**Only ``hit``, in order, stop at the first refusal.** ``test`` then ``hit`` is not atomic across
processes, so it is never used. A refused request has already been counted by the items checked
before the refusing one; items are checked shortest window first (and the global limit before
the endpoint's), so a rejected burst does not eat the long-window quota.

**Headers.** ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (delta seconds), the
separate-field form of draft-ietf-httpapi-ratelimit-headers that most servers and clients read;
they describe the most restrictive item (least remaining). A 429 adds ``Retry-After`` (≥ 1 s).
For a moving window, Reset is when the oldest counted hit leaves the window.

**Redis down.** ``redis_failure="open"`` (the default; a rate limit is protection, not money):
log once and allow, without headers. ``"closed"``: 503 ``rate_limit_unavailable``. For
``retry_interval`` seconds after a failure the policy applies without touching Redis (no connect
timeout added to every request); then Redis is tried again and limiting resumes by itself
(redis-py reconnects, and reloads the Lua scripts after a restart).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockgate.error_handlers import error_response
from lockgate.errors import AppError, RateLimited, ServiceUnavailable
from lockgate.gate.client_id import IPNetwork, client_address, client_key, ip_bucket
from lockgate.observability.logging import get_logger

GLOBAL = "global"
PER_IP = "per_ip"
LIMITER_STATE = "http_limiter"
"""Key in the request's scope state where :class:`RateLimitMiddleware` puts the limiter."""
HEADERS_STATE = "ratelimit_headers"
RedisFailure: TypeAlias = Literal["open", "closed"]
KeyBy: TypeAlias = Literal["client", "ip"]
_Target: TypeAlias = tuple[RateLimitItem, tuple[str, ...]]


class RateLimitUnavailable(ServiceUnavailable):
    code = "rate_limit_unavailable"
    message = "Rate limiting is unavailable; try again shortly."


@dataclass(frozen=True)
class RateLimitRule:
    """One scope's limits, shortest window first.

    ``RateLimitRule.parse("chat", "10/10 seconds;60/minute")``; a bad string raises ``ValueError``.
    """

    scope: str
    items: list[RateLimitItem]

    @classmethod
    def parse(cls, scope: str, text: str) -> RateLimitRule:
        try:
            items = parse_many(text)
        except ValueError:
            raise ValueError(
                f"rate limit {scope!r}: cannot parse {text!r} (e.g. '10/10 seconds;60/minute')"
            ) from None
        if any(item.amount < 1 for item in items):
            raise ValueError(f"rate limit {scope!r}: {text!r} has a limit below 1")
        return cls(scope, sorted(items, key=lambda item: item.get_expiry()))


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """What a response tells the client about its quota (``reset`` in whole seconds)."""

    limit: int
    remaining: int
    reset: int

    def as_dict(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }

    def raw(self) -> list[tuple[bytes, bytes]]:
        return [(k.lower().encode(), v.encode()) for k, v in self.as_dict().items()]

    def tighter(self, other: RateLimitHeaders | None) -> RateLimitHeaders:
        """The more restrictive of two: fewer remaining, then the later reset."""
        if other is None:
            return self
        return min(self, other, key=lambda h: (h.remaining, -h.reset))


def open_storage(
    uri: str | None, *, timeout: float, pool_timeout: float, max_connections: int, key_prefix: str
) -> tuple[Storage, BlockingConnectionPool | None]:
    if uri is None or uri.startswith("memory://"):
        return MemoryStorage(), None
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
    options: dict[str, Any] = {"connection_pool": pool}
    storage = RedisStorage(
        schemes[prefix] + url.removeprefix(prefix),
        wrap_exceptions=True,
        implementation="redispy",
        key_prefix=key_prefix,
        **options,
    )
    return storage, pool


class HttpRateLimiter:
    """Per-client HTTP limits; see the module docstring. ``storage_uri=None`` keeps them in memory.

    ``per_ip`` optionally adds an IP (IPv6 /64) ceiling to the global limit of clients keyed on a
    token or cookie: those are not verified here, and inventing one must not buy a fresh bucket.
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
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        rules = {GLOBAL: default, **(endpoint_limits or {})}
        self.rules = {scope: RateLimitRule.parse(scope, text) for scope, text in rules.items()}
        self.per_ip = RateLimitRule.parse(PER_IP, per_ip) if per_ip else None
        self._custom: dict[tuple[str, str], RateLimitRule] = {}
        self.on_reject: Callable[[str], None] | None = None
        """Called with the scope of every refusal (metrics)."""
        self.trusted_proxies = tuple(trusted_proxies)
        self.redis_failure: RedisFailure = redis_failure
        self.retry_interval = retry_interval
        self._storage, self._pool = open_storage(
            storage_uri,
            timeout=redis_timeout,
            pool_timeout=pool_timeout,
            max_connections=max_connections,
            key_prefix=key_prefix,
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._monotonic = monotonic
        self._skip_until: float | None = None
        self._log = get_logger("lockgate.ratelimit")

    @property
    def shared(self) -> bool:
        """True when the counters live in Redis (shared by every replica)."""
        return self._pool is not None

    async def check(
        self, connection: HTTPConnection, scope: str = GLOBAL, *, by: KeyBy = "client"
    ) -> RateLimitHeaders | None:
        """Count one request of this client in ``scope``.

        Returns the headers to add to the response (``None`` when Redis is down and the policy is
        open); raises :class:`RateLimited` (429) or :class:`RateLimitUnavailable` (503).
        """
        address = client_address(connection, self.trusted_proxies)
        ip_key = ip_bucket(address)
        key = ip_key if by == "ip" else client_key(connection, self.trusted_proxies)
        targets = self._targets(scope, key)
        if scope == GLOBAL and self.per_ip is not None and key != ip_key:
            targets += [(item, (PER_IP, ip_key)) for item in self.per_ip.items]
        return await self._enforce(targets)

    async def check_key(self, key: str, scope: str = GLOBAL) -> RateLimitHeaders | None:
        """:meth:`check` for a caller that already knows the key (e.g. ``key:<virtual key id>``)."""
        return await self._enforce(self._targets(scope, key))

    async def check_custom(self, scope: str, key: str, limit: str) -> RateLimitHeaders | None:
        """Count one hit against an ad-hoc limit (e.g. a virtual key's own ``"60/minute"``)."""
        rule = self._custom.get((scope, limit))
        if rule is None:
            rule = self._custom[(scope, limit)] = RateLimitRule.parse(scope, limit)
        return await self._enforce([(item, ("http", scope, key)) for item in rule.items])

    def _targets(self, scope: str, key: str) -> list[_Target]:
        rule = self.rules.get(scope)
        if rule is None:
            raise KeyError(f"no rate limit configured for scope {scope!r}")
        return [(item, ("http", scope, key)) for item in rule.items]

    async def _enforce(self, targets: list[_Target]) -> RateLimitHeaders | None:
        if self._skip_until is not None and self._monotonic() < self._skip_until:
            self._unavailable()
            return None
        try:
            for item, ids in targets:
                if not await self._limiter.hit(item, *ids):
                    if self.on_reject is not None:
                        self.on_reject(ids[1])
                    stats = await self._limiter.get_window_stats(item, *ids)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    raise RateLimited(
                        retry_after=wait, headers=RateLimitHeaders(item.amount, 0, wait).as_dict()
                    )
            windows = await asyncio.gather(
                *(self._limiter.get_window_stats(item, *ids) for item, ids in targets)
            )
        except StorageError as exc:
            self._unavailable(exc)
            return None
        if self._skip_until is not None:
            self._skip_until = None
            self._log.info("rate_limit_storage_back")
        now = time.time()
        headers = [
            RateLimitHeaders(
                item.amount, max(0, w.remaining), max(0, math.ceil(w.reset_time - now))
            )
            for (item, _), w in zip(targets, windows, strict=True)
        ]
        return min(headers, key=lambda h: (h.remaining, -h.reset))

    def _unavailable(self, exc: StorageError | None = None) -> None:
        if exc is not None:
            if self._skip_until is None:
                self._log.warning(
                    "rate_limit_storage_down",
                    policy=self.redis_failure,
                    error=str(exc.storage_error),
                )
            self._skip_until = self._monotonic() + self.retry_interval
        if self.redis_failure == "closed":
            retry = str(max(1, math.ceil(self.retry_interval)))
            raise RateLimitUnavailable(headers={"Retry-After": retry})

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


def _merge_headers(state: dict[str, Any], headers: RateLimitHeaders | None) -> None:
    if headers is not None:
        state[HEADERS_STATE] = headers.tighter(state.get(HEADERS_STATE))


class RateLimitMiddleware:
    """Pure ASGI: the global limit on every request under ``prefixes``, headers on the response.

    Also puts the limiter in the request's scope state for :func:`endpoint_limit`. Install it
    inside CORS (so a 429 is readable by the browser) and outside the body limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: HttpRateLimiter,
        *,
        prefixes: Sequence[str] = ("/api/", "/v1/"),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.prefixes = tuple(prefixes)

    def _limited(self, path: str) -> bool:
        return any(path.startswith(p) or path == p.rstrip("/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state[LIMITER_STATE] = self.limiter
        if not self._limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            _merge_headers(state, await self.limiter.check(HTTPConnection(scope)))
        except AppError as exc:
            response = error_response(
                exc.status, exc.code, exc.message, exc.headers, path=scope["path"]
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            headers = state.get(HEADERS_STATE)
            if message["type"] == "http.response.start" and headers is not None:
                raw = message.setdefault("headers", [])
                if not any(k.lower() == b"ratelimit-limit" for k, _ in raw):
                    raw.extend(headers.raw())
            await send(message)

        await self.app(scope, receive, send_with_headers)


def endpoint_limit(
    scope: str, *, by: KeyBy = "client"
) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A FastAPI dependency counting the request against ``scope``'s limit (after the global one).

    ``by="ip"`` for unauthenticated endpoints (sign-in), where a made-up cookie or token must not
    buy a fresh bucket. Declared after ``CurrentUser`` in a signature, it keys on ``user:<id>``::

        @router.post("/images", dependencies=[Depends(endpoint_limit("images"))])
    """

    async def enforce_endpoint_limit(request: Request) -> None:
        state: dict[str, Any] = request.scope.setdefault("state", {})
        limiter = state.get(LIMITER_STATE)
        if not isinstance(limiter, HttpRateLimiter):
            raise RuntimeError("endpoint_limit needs RateLimitMiddleware installed on the app")
        _merge_headers(state, await limiter.check(request, scope, by=by))

    return enforce_endpoint_limit
