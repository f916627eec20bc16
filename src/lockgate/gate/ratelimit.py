"""Exact HTTP rate limits per client, in memory or shared by every replica through Redis.

Every request under ``/api/`` and ``/v1/`` counts against the global limit of its client (see
:mod:`lockgate.gate.client_id`); an endpoint scope (``chat``, ``images``, ``conversations``,
``auth``) adds its own burst limit on top, and both must pass::

    limiter = HttpRateLimiter(settings.redis_url, default="100/minute",
                              endpoint_limits={"chat": "10/10 seconds;60/minute"})
    app.add_middleware(RateLimitMiddleware, limiter=limiter)          # the global limit
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
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeAlias

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockgate.error_handlers import error_response
from lockgate.errors import AppError, RateLimited, ServiceUnavailable
from lockgate.gate._redis import register
from lockgate.gate.client_id import IPNetwork, client_address, credential_key, ip_bucket
from lockgate.lru import BoundedLRU
from lockgate.observability.logging import get_logger

GLOBAL = "global"
PER_IP = "per_ip"
LIMITER_STATE = "http_limiter"
"""Key in the request's scope state where :class:`RateLimitMiddleware` puts the limiter."""
HEADERS_STATE = "ratelimit_headers"
RedisFailure: TypeAlias = Literal["open", "closed"]
KeyBy: TypeAlias = Literal["client", "ip"]

# KEYS: one list per limit (hit timestamps, newest first). ARGV: now, then per limit its amount
# N and window length in seconds. Refused (nothing counted): "0 <index of the first limit
# without room> <its oldest counted hit>". Admitted (counted in every list): "1", then per limit
# " <hits in its window> <the oldest of them>" (one string: redis-py reads it far faster than an
# array). The check is the `limits` library's
# acquire_moving_window.lua (the N-th newest hit is inside the window: no room). Counting then
# trims the hits that left the window, as they can never count again, so a list holds only its
# window: the oldest hit is then usually inside it, and otherwise a binary search finds the
# oldest that is (the `limits` library's moving_window.lua).
_HIT = """
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local amount, expiry = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local nth = redis.call('LINDEX', KEYS[i], amount - 1)
  if nth and tonumber(nth) >= now - expiry then return '0 ' .. i .. ' ' .. nth end
end
local out = {1}
for i = 1, #KEYS do
  local key, amount, expiry = KEYS[i], tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local floor, size = now - expiry, redis.call('LPUSH', key, ARGV[1])
  if size > amount then
    redis.call('LTRIM', key, 0, amount - 1)
    size = amount
  end
  redis.call('EXPIRE', key, expiry)
  local oldest = redis.call('LINDEX', key, size - 1)
  if tonumber(oldest) < floor then
    local low, high, found = 0, size - 1, 0
    oldest = ARGV[1]
    while low <= high do
      local mid = math.floor((low + high) / 2)
      local hit = redis.call('LINDEX', key, mid)
      if tonumber(hit) >= floor then
        found, oldest, low = mid, hit, mid + 1
      else
        high = mid - 1
      end
    end
    redis.call('LTRIM', key, 0, found)
    size = found + 1
  end
  out[#out + 1] = size
  out[#out + 1] = oldest
end
return table.concat(out, ' ')
"""


class RateLimitUnavailable(ServiceUnavailable):
    code = "rate_limit_unavailable"
    message = "Rate limiting is unavailable; try again shortly."


@dataclass(frozen=True, slots=True)
class _Limit:
    """One parsed limit, as the counters need it: N hits per ``expiry`` seconds."""

    amount: int
    expiry: int
    suffix: str
    """The end of its storage key, as ``limits`` builds it: ``/<N>/<multiples>/<unit>``."""

    @classmethod
    def of(cls, item: RateLimitItem) -> _Limit:
        suffix = f"/{item.amount}/{item.multiples}/{item.GRANULARITY.name}"
        return cls(item.amount, item.get_expiry(), suffix)


@dataclass(frozen=True)
class RateLimitRule:
    """One scope's limits, shortest window first.

    ``RateLimitRule.parse("chat", "10/10 seconds;60/minute")``; a bad string raises ``ValueError``.
    """

    scope: str
    items: list[RateLimitItem]
    limits: tuple[_Limit, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", tuple(_Limit.of(item) for item in self.items))

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
        # "5/minute;5/minute" names one counter twice: counted once, not twice per request.
        unique: dict[str, RateLimitItem] = {}
        for item in items:
            unique.setdefault(_Limit.of(item).suffix, item)
        return cls(scope, sorted(unique.values(), key=lambda item: item.get_expiry()))

    def targets(self, group: str, key: str, scope: str | None = None) -> list[_Target]:
        """This rule's limits for one client: storage keys ``LIMITER/<group>/<key><suffix>``."""
        reported = self.scope if scope is None else scope
        return [
            _Target(limit, reported, f"LIMITER/{group}/{key}{limit.suffix}")
            for limit in self.limits
        ]


class _Target(NamedTuple):
    limit: _Limit
    scope: str
    """What a refusal reports (``on_reject``): a fixed name, never the client."""
    key: str


class _Verdict(NamedTuple):
    refused: int
    """The index of the first target without room (nothing was counted), or -1."""
    windows: list[tuple[int, float]]
    """Admitted: (hits in the window, oldest of them) per target, after counting this one.
    Refused: the same for the refusing target alone (its window is full)."""


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


def _redis_pool(
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
    storage_uri, pool = _redis_pool(
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


class _MemoryWindows:
    """The moving windows of one process: per key a deque of hit times, oldest first.

    Keys live in one ordered dict per window length, least recently hit first, so the keys
    whose last hit has left their window are dropped from the front as time goes by: memory
    holds only live windows, each at most N hits long.

    Every admitted hit forgets in every dict (a few window lengths), so a window length no
    request uses any more does not keep its keys either.

    Several targets of one hit can share a dict (the global and per-IP limits are both per
    minute), so a hit first counts in every target and only then forgets: forgetting in between
    could drop a key another target of the same hit is about to count in (a ``KeyError`` after
    an idle minute, the 500 of issue 12). Every key counted is then newer than the floor and at
    the back, so forgetting never drops it.
    """

    def __init__(self) -> None:
        self._by_expiry: dict[int, OrderedDict[str, deque[float]]] = {}

    def hit(self, targets: Sequence[_Target], now: float) -> _Verdict:
        for index, (limit, _, key) in enumerate(targets):
            keys = self._by_expiry.get(limit.expiry)
            hits = None if keys is None else keys.get(key)
            if hits is not None:
                floor = now - limit.expiry
                while hits and hits[0] < floor:
                    hits.popleft()
                if len(hits) >= limit.amount:
                    return _Verdict(index, [(len(hits), hits[0])])
        windows: list[tuple[int, float]] = []
        for limit, _, key in targets:
            keys = self._by_expiry.setdefault(limit.expiry, OrderedDict())
            hits = keys.get(key)
            if hits is None:
                hits = keys[key] = deque()
            else:
                keys.move_to_end(key)
            hits.append(now)
            windows.append((len(hits), hits[0]))
        for expiry, keys in self._by_expiry.items():
            self._forget(keys, now - expiry)
        return _Verdict(-1, windows)

    def stored(self) -> int:
        return sum(len(keys) for keys in self._by_expiry.values())

    @staticmethod
    def _forget(keys: OrderedDict[str, deque[float]], floor: float) -> None:
        """Drop the least recently hit keys whose every hit is older than ``floor``."""
        while keys:
            key = next(iter(keys))
            hits = keys[key]
            if hits and hits[-1] >= floor:
                return
            del keys[key]


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
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        rules = {GLOBAL: default, **(endpoint_limits or {})}
        self.rules = {scope: RateLimitRule.parse(scope, text) for scope, text in rules.items()}
        self.per_ip = RateLimitRule.parse(PER_IP, per_ip) if per_ip else None
        self._custom: BoundedLRU[tuple[str, str], RateLimitRule] = BoundedLRU()
        self.on_reject: Callable[[str], None] | None = None
        """Called with the scope of every refusal (metrics): a fixed name, never the client."""
        self.trusted_proxies = tuple(trusted_proxies)
        self.redis_failure: RedisFailure = redis_failure
        self.retry_interval = retry_interval
        self._memory: _MemoryWindows | None = None
        self._redis: Redis | None = None
        self._pool: BlockingConnectionPool | None = None
        if storage_uri is None or storage_uri.startswith("memory://"):
            self._memory = _MemoryWindows()
        else:
            _, self._pool = _redis_pool(
                storage_uri,
                timeout=redis_timeout,
                pool_timeout=pool_timeout,
                max_connections=max_connections,
            )
            self._redis = Redis(connection_pool=self._pool)
            self._hit_script = register(self._redis, _HIT)
        self._key_prefix = f"{key_prefix}:"
        self._monotonic = monotonic
        self._clock = clock
        self._skip_until: float | None = None
        self._log = get_logger("lockgate.ratelimit")

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

    async def check_key(self, key: str, scope: str = GLOBAL) -> RateLimitHeaders | None:
        """:meth:`check` for a caller that already knows the key (e.g. ``key:<virtual key id>``)."""
        return await self._enforce(self._targets(scope, key))

    async def check_custom(self, scope: str, key: str, limit: str) -> RateLimitHeaders | None:
        """Count one hit against an ad-hoc limit (e.g. a virtual key's own ``"60/minute"``)."""
        rule = self._custom.get((scope, limit))
        if rule is None:
            rule = self._custom.put((scope, limit), RateLimitRule.parse(scope, limit))
        return await self._enforce(rule.targets(f"http/{scope}", key))

    def _targets(self, scope: str, key: str) -> list[_Target]:
        rule = self.rules.get(scope)
        if rule is None:
            raise KeyError(f"no rate limit configured for scope {scope!r}")
        return rule.targets(f"http/{scope}", key)

    async def _enforce(self, targets: list[_Target]) -> RateLimitHeaders | None:
        if self._memory is not None:
            now = self._clock()
            return self._verdict(targets, self._memory.hit(targets, now), now)
        if self._skip_until is not None and self._monotonic() < self._skip_until:
            self._unavailable()
            return None
        now = self._clock()
        try:
            verdict = await self._redis_hit(targets, now)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            return None
        if self._skip_until is not None:
            self._skip_until = None
            self._log.info("rate_limit_storage_back")
        return self._verdict(targets, verdict, now)

    async def _redis_hit(self, targets: list[_Target], now: float) -> _Verdict:
        prefix = self._key_prefix
        args: list[float | int] = [now]
        for target in targets:
            args += (target.limit.amount, target.limit.expiry)
        reply = (await self._hit_script(keys=[prefix + t.key for t in targets], args=args)).split()
        if reply[0] == b"0":
            return _Verdict(int(reply[1]) - 1, [(0, float(reply[2]))])
        pairs = reply[1:]
        return _Verdict(-1, [(int(pairs[i]), float(pairs[i + 1])) for i in range(0, len(pairs), 2)])

    def _verdict(
        self, targets: list[_Target], verdict: _Verdict, now: float
    ) -> RateLimitHeaders | None:
        if verdict.refused >= 0:
            limit, scope, _ = targets[verdict.refused]
            if self.on_reject is not None:
                self.on_reject(scope)
            wait = max(1, math.ceil(verdict.windows[0][1] + limit.expiry - now))
            raise RateLimited(
                retry_after=wait, headers=RateLimitHeaders(limit.amount, 0, wait).as_dict()
            )
        best: RateLimitHeaders | None = None
        for target, (count, oldest) in zip(targets, verdict.windows, strict=True):
            limit = target.limit
            remaining = max(0, limit.amount - count)
            reset = max(0, math.ceil(oldest + limit.expiry - now))
            if best is None or (remaining, -reset) < (best.remaining, -best.reset):
                best = RateLimitHeaders(limit.amount, remaining, reset)  # the first of the tightest
        return best

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
