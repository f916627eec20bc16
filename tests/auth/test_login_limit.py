"""The sign-in limiter is two scopes of the gate's rate limiter, on memory and on Redis alike.

Per account (normalised email) and per IP, all or nothing; a successful sign-in forgets its
account's attempts; the 429 keeps its sign-in message and a Retry-After.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lockgate.auth.login_limit import LoginLimiter
from lockgate.errors import RateLimited
from lockgate.gate.ratelimit import HttpRateLimiter


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[LoginLimiter]:
    url = None if request.param == "memory" else request.getfixturevalue("redis_url")
    made = LoginLimiter("2/minute", "3/minute", storage_uri=url)
    await made.limiter.forget("account", "victim@example.com")
    await made.limiter.forget("ip", "192.0.2.1")
    await made.limiter.forget("ip", "192.0.2.2")
    yield made
    await made.aclose()


async def test_per_account_limit_whatever_the_spelling(limiter: LoginLimiter) -> None:
    assert isinstance(limiter.limiter, HttpRateLimiter)
    await limiter.check(email="victim@example.com", ip="192.0.2.1")
    await limiter.check(email=" Victim@Example.com", ip="192.0.2.2")
    with pytest.raises(RateLimited) as refused:
        await limiter.check(email="VICTIM@example.com ", ip="192.0.2.2")
    assert refused.value.message == "Too many sign-in attempts. Try again later."
    assert set(refused.value.headers) == {"Retry-After"}
    assert int(refused.value.headers["Retry-After"]) >= 1


async def test_a_refused_attempt_is_counted_nowhere_and_reset_forgets(
    limiter: LoginLimiter,
) -> None:
    await limiter.check(email="victim@example.com", ip="192.0.2.1")
    await limiter.check(email="victim@example.com", ip="192.0.2.1")
    with pytest.raises(RateLimited):  # the account is full: the IP's count is not taken
        await limiter.check(email="victim@example.com", ip="192.0.2.1")
    await limiter.reset(email="Victim@example.com")
    await limiter.check(email="victim@example.com", ip="192.0.2.1")  # the IP's 3rd
    with pytest.raises(RateLimited):
        await limiter.check(email=None, ip="192.0.2.1")
