"""HTTP rate limits: exact counting (memory and a real Redis shared by 3 "replicas"), headers,
Redis-down policies and recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from lockgate.errors import RateLimited
from lockgate.gate.client_id import client_key
from lockgate.gate.ratelimit import (
    HttpRateLimiter,
    RateLimitRule,
    RateLimitUnavailable,
    open_storage,
)
from tests.fixtures.redis import RedisServer

Factory = Callable[..., HttpRateLimiter]


def conn(peer: str = "198.51.100.1", headers: dict[str, str] | None = None) -> HTTPConnection:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "path": "/api/x", "headers": raw, "client": (peer, 1), "state": {}}
    return HTTPConnection(scope)


@pytest.fixture
async def make_limiter() -> AsyncIterator[Factory]:
    made: list[HttpRateLimiter] = []

    def make(storage_uri: str | None = None, **kwargs: object) -> HttpRateLimiter:
        limiter = HttpRateLimiter(storage_uri, **kwargs)  # type: ignore[arg-type]
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str | None:
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


async def admitted(limiter: HttpRateLimiter, count: int, **kwargs: str) -> int:
    async def one() -> bool:
        try:
            await limiter.check(conn(), **kwargs)  # type: ignore[arg-type]
        except RateLimited:
            return False
        return True

    return sum(await asyncio.gather(*(one() for _ in range(count))))


def test_rule_parses_and_sorts_shortest_window_first() -> None:
    rule = RateLimitRule.parse("chat", "60/minute;10/10 seconds")
    assert [(i.amount, i.get_expiry()) for i in rule.items] == [(10, 10), (60, 60)]


@pytest.mark.parametrize("text", ["", "ten per minute", "10/fortnight", "0/minute"])
def test_rule_rejects_bad_strings(text: str) -> None:
    with pytest.raises(ValueError, match="'chat'"):
        RateLimitRule.parse("chat", text)


def test_unsupported_storage_uri() -> None:
    with pytest.raises(ValueError, match="redis://"):
        HttpRateLimiter("memcached://localhost")


async def test_admits_exactly_the_limit(make_limiter: Factory, storage_uri: str | None) -> None:
    limiter = make_limiter(storage_uri, default="25/minute")
    assert await admitted(limiter, 100) == 25


async def test_three_replicas_on_one_redis_admit_exactly_n(
    make_limiter: Factory, redis_url: str
) -> None:
    replicas = [make_limiter(redis_url, default="50/minute") for _ in range(3)]
    counts = await asyncio.gather(*(admitted(r, 100) for r in replicas))
    assert sum(counts) == 50


async def test_endpoint_limit_exact_across_replicas(make_limiter: Factory, redis_url: str) -> None:
    limits = {"chat": "7/minute"}
    replicas = [make_limiter(redis_url, endpoint_limits=limits) for _ in range(3)]
    counts = await asyncio.gather(*(admitted(r, 50, scope="chat") for r in replicas))
    assert sum(counts) == 7


async def test_success_headers_count_down(make_limiter: Factory, storage_uri: str | None) -> None:
    limiter = make_limiter(storage_uri, default="3/minute")
    first = await limiter.check(conn())
    second = await limiter.check(conn())
    assert first is not None
    assert second is not None
    assert [(h.limit, h.remaining) for h in (first, second)] == [(3, 2), (3, 1)]
    assert 58 <= second.reset <= first.reset <= 60


async def test_most_restrictive_item_is_reported(
    make_limiter: Factory, storage_uri: str | None
) -> None:
    limiter = make_limiter(storage_uri, default="2/10 seconds;100/minute")
    headers = await limiter.check(conn())
    assert headers is not None
    assert (headers.limit, headers.remaining) == (2, 1)
    assert 9 <= headers.reset <= 10


async def test_429_has_retry_after_and_ratelimit_headers(
    make_limiter: Factory, storage_uri: str | None
) -> None:
    limiter = make_limiter(storage_uri, default="1/minute")
    await limiter.check(conn())
    with pytest.raises(RateLimited) as caught:
        await limiter.check(conn())
    error = caught.value
    assert (error.status, error.code) == (429, "rate_limited")
    retry = int(error.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert error.headers["RateLimit-Limit"] == "1"
    assert error.headers["RateLimit-Remaining"] == "0"
    assert error.headers["RateLimit-Reset"] == str(retry)


async def test_clients_are_counted_separately(make_limiter: Factory) -> None:
    limiter = make_limiter(default="1/minute")
    await limiter.check(conn("198.51.100.1"))
    await limiter.check(conn("198.51.100.2"))
    await limiter.check(conn(headers={"Authorization": "Bearer k1"}))
    with pytest.raises(RateLimited):
        await limiter.check(conn("198.51.100.1"))


async def test_request_refused_by_its_endpoint_still_counts_globally(
    make_limiter: Factory,
) -> None:
    limiter = make_limiter(default="3/minute", endpoint_limits={"chat": "1/minute"})
    await limiter.check(conn())  # request 1: the middleware's global check
    await limiter.check(conn(), "chat")  # request 1: the endpoint dependency
    await limiter.check(conn())  # request 2: global
    with pytest.raises(RateLimited):
        await limiter.check(conn(), "chat")  # request 2 refused by its endpoint
    headers = await limiter.check(conn())  # request 3: request 2 was counted globally
    assert headers is not None
    assert headers.remaining == 0


async def test_unknown_scope_is_a_bug(make_limiter: Factory) -> None:
    with pytest.raises(KeyError, match="images"):
        await make_limiter().check(conn(), "images")


async def test_ip_keyed_scope_ignores_made_up_credentials(make_limiter: Factory) -> None:
    limiter = make_limiter(endpoint_limits={"auth": "2/minute"})
    results = [
        await admitted_one(limiter, {"Cookie": f"lockgate_session=s{i}"}, "auth", "ip")
        for i in range(5)
    ]
    assert results == [True, True, False, False, False]


async def test_per_ip_ceiling_stops_rotating_tokens(make_limiter: Factory) -> None:
    limiter = make_limiter(default="100/minute", per_ip="3/minute")
    results = [
        await admitted_one(limiter, {"Authorization": f"Bearer fresh-{i}"}) for i in range(5)
    ]
    assert results == [True, True, True, False, False]


async def admitted_one(
    limiter: HttpRateLimiter, headers: dict[str, str], scope: str = "global", by: str = "client"
) -> bool:
    try:
        await limiter.check(conn(headers=headers), scope, by=by)  # type: ignore[arg-type]
    except RateLimited:
        return False
    return True


async def test_check_key(make_limiter: Factory) -> None:
    limiter = make_limiter(default="1/minute")
    await limiter.check_key("key:vk_1")
    with pytest.raises(RateLimited):
        await limiter.check_key("key:vk_1")


async def test_moving_window_frees_after_its_length(
    make_limiter: Factory, storage_uri: str | None
) -> None:
    now = [1_900_000_000.0]
    limiter = make_limiter(storage_uri, default="2/second", clock=lambda: now[0])
    assert await admitted(limiter, 5) == 2
    now[0] += 1.0  # a hit exactly one window old still counts
    assert await admitted(limiter, 5) == 0
    now[0] += 0.001
    assert await admitted(limiter, 5) == 2


async def test_every_window_admits_at_most_n(
    make_limiter: Factory, storage_uri: str | None
) -> None:
    now = [1_900_000_000.0]
    limiter = make_limiter(storage_uri, default="3/10 seconds", clock=lambda: now[0])
    admitted_at = []
    for step in range(100):  # one attempt every 0.7 s
        now[0] = 1_900_000_000.0 + step * 0.7
        if await admitted(limiter, 1):
            admitted_at.append(now[0])
    fourth_after = zip(admitted_at, admitted_at[3:], strict=False)
    assert all(later - earlier > 10 for earlier, later in fourth_after)
    assert len(admitted_at) >= 20  # 70 s: about 3 per 10.5 s


async def test_a_refused_request_is_counted_nowhere(
    make_limiter: Factory, storage_uri: str | None
) -> None:
    rejected: list[str] = []
    limiter = make_limiter(storage_uri, default="10/minute", per_ip="2/minute")
    limiter.on_reject = rejected.append
    for token in ("a", "a"):
        await limiter.check(conn(headers={"Authorization": f"Bearer {token}"}))
    with pytest.raises(RateLimited):  # the shared IP's ceiling, after token b's own limit
        await limiter.check(conn(headers={"Authorization": "Bearer b"}))
    assert rejected == ["per_ip"]  # a fixed name: never the address
    headers = await limiter.check_key(client_key(conn(headers={"Authorization": "Bearer b"}), ()))
    assert headers is not None
    assert headers.remaining == 9  # only this check: the refused request was counted nowhere


async def test_headers_describe_the_tightest_of_several_limits(
    make_limiter: Factory, storage_uri: str | None
) -> None:
    now = [1_900_000_000.0]
    limiter = make_limiter(storage_uri, default="3/10 seconds;5/minute", clock=lambda: now[0])
    seen = []
    for offset in (0.0, 0.5, 20.0, 20.5):
        now[0] = 1_900_000_000.0 + offset
        headers = await limiter.check(conn())
        assert headers is not None
        seen.append((headers.limit, headers.remaining, headers.reset))
    # 10 s window first (fewer left), then the minute once its room is the smaller one; on a
    # tie the reset that comes later.
    assert seen == [(3, 2, 10), (3, 1, 10), (5, 2, 40), (5, 1, 40)]


async def test_memory_forgets_clients_whose_hits_left_the_window(make_limiter: Factory) -> None:
    now = [1_900_000_000.0]
    limiter = make_limiter(default="5/minute", clock=lambda: now[0])
    for client in range(100):
        await limiter.check_key(f"user:{client}")
    now[0] += 61
    await limiter.check_key("user:last")
    assert limiter.stored() == 1


async def test_redis_counters_are_the_limits_librarys(
    make_limiter: Factory, redis_url: str
) -> None:
    """Replicas of an older version (``limits``' own moving window) count in the same lists."""
    limiter = make_limiter(redis_url, default="3/minute")
    storage, pool = open_storage(
        redis_url, timeout=1, pool_timeout=1, max_connections=2, key_prefix="lockgate:ratelimit"
    )
    try:
        older = MovingWindowRateLimiter(storage)
        item = RateLimitRule.parse("global", "3/minute").items[0]
        assert await older.hit(item, "http", "global", "user:1")
        await limiter.check_key("user:1")
        stats = await older.get_window_stats(item, "http", "global", "user:1")
        assert stats.remaining == 1
        assert await older.hit(item, "http", "global", "user:1")
        with pytest.raises(RateLimited):
            await limiter.check_key("user:1")
        assert not await older.hit(item, "http", "global", "user:1")
    finally:
        if pool is not None:
            await pool.aclose()


async def test_redis_down_fails_open(
    make_limiter: Factory, redis_url: str, redis_server: RedisServer
) -> None:
    limiter = make_limiter(redis_url, default="1/minute", redis_failure="open")
    redis_server.pause()
    assert await limiter.check(conn()) is None
    assert await limiter.check(conn()) is None


async def test_redis_down_fails_closed(
    make_limiter: Factory, redis_url: str, redis_server: RedisServer
) -> None:
    limiter = make_limiter(redis_url, redis_failure="closed")
    redis_server.pause()
    with pytest.raises(RateLimitUnavailable) as caught:
        await limiter.check(conn())
    assert (caught.value.status, caught.value.code) == (503, "rate_limit_unavailable")
    assert caught.value.headers["Retry-After"] == "1"


async def test_limiting_resumes_after_redis_returns(
    make_limiter: Factory, redis_url: str, redis_server: RedisServer
) -> None:
    limiter = make_limiter(redis_url, default="2/minute", retry_interval=0)
    await limiter.check(conn())
    redis_server.pause()
    assert await limiter.check(conn()) is None
    redis_server.resume()  # empty again: the Lua scripts must be reloaded (NOSCRIPT)
    assert await admitted(limiter, 5) == 2


async def test_no_redis_calls_during_the_retry_interval(
    make_limiter: Factory, redis_url: str, redis_server: RedisServer
) -> None:
    now = [0.0]
    limiter = make_limiter(
        redis_url, default="1/minute", retry_interval=5, monotonic=lambda: now[0]
    )
    redis_server.pause()
    assert await limiter.check(conn()) is None
    redis_server.resume()
    assert await admitted(limiter, 3) == 3  # still in the interval: the open policy applies
    now[0] = 5.0
    assert await admitted(limiter, 3) == 1


def test_a_limit_named_twice_is_one_counter() -> None:
    rule = RateLimitRule.parse("chat", "5/minute;10/10 seconds;5/minute")
    assert [(i.amount, i.get_expiry()) for i in rule.items] == [(10, 10), (5, 60)]
