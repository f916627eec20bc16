"""Provider headroom, run against both backends (memory and a real Redis) on a FakeClock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from lockgate.clock import FakeClock
from lockgate.gate.headroom import (
    Headroom,
    HeadroomLimits,
    HeadroomSnapshot,
    HeadroomUnavailable,
    MemoryHeadroom,
    NoHeadroom,
)
from lockgate.gate.headroom.redis import RedisHeadroom
from lockgate.providers.base import RateLimitInfo
from tests.fixtures.redis import RedisServer

Factory = Callable[..., Headroom]
LIMITS = {"openai": HeadroomLimits(rpm=3, tpm=1000), "tokens-only": HeadroomLimits(tpm=100)}


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Factory]:
    """Builds headrooms of one kind on the test's FakeClock; Redis ones share one server."""
    url: str | None = request.getfixturevalue("redis_url") if request.param == "redis" else None
    made: list[Headroom] = []

    def build(limits: dict[str, HeadroomLimits] = LIMITS) -> Headroom:
        headroom: Headroom = (
            MemoryHeadroom(limits, clock=clock)
            if url is None
            else RedisHeadroom.from_url(url, limits, clock=clock)
        )
        made.append(headroom)
        return headroom

    yield build
    for headroom in made:
        await headroom.aclose()


async def refused(headroom: Headroom, name: str, tokens: int = 0) -> NoHeadroom:
    with pytest.raises(NoHeadroom) as caught:
        await headroom.acquire(name, tokens)
    return caught.value


async def test_rpm_admits_exactly_the_limit(make: Factory) -> None:
    headroom = make()
    for _ in range(3):
        await headroom.acquire("openai", 10)
    error = await refused(headroom, "openai")
    assert (error.name, error.kind, error.retry_after) == ("openai", "requests", 60)


async def test_rpm_window_slides(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.acquire("openai", 1)
    clock.advance(seconds=20)
    await headroom.acquire("openai", 1)
    await headroom.acquire("openai", 1)
    clock.advance(seconds=39)
    assert (await refused(headroom, "openai")).retry_after == pytest.approx(1)
    clock.advance(seconds=1)
    await headroom.acquire("openai", 1)
    assert (await refused(headroom, "openai")).retry_after == pytest.approx(20)


async def test_tpm_counts_tokens(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.acquire("tokens-only", 60)
    clock.advance(seconds=10)
    await headroom.acquire("tokens-only", 30)
    error = await refused(headroom, "tokens-only", 20)
    assert error.kind == "tokens"
    assert error.retry_after == pytest.approx(50)  # when the 60 tokens leave the window
    await headroom.acquire("tokens-only", 10)


async def test_request_larger_than_tpm_never_fits(make: Factory) -> None:
    error = await refused(make(), "tokens-only", 101)
    assert (error.kind, error.retry_after) == ("tokens", 60)


async def test_unconfigured_name_is_only_blocked_by_upstream(make: Factory) -> None:
    headroom = make()
    for _ in range(10):
        await headroom.acquire("ollama", 10_000)


async def test_no_headroom_is_a_503_with_retry_after(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    for _ in range(3):
        await headroom.acquire("openai", 1)
    clock.advance(seconds=59.2)
    error = await refused(headroom, "openai")
    assert (error.status, error.code, error.headers["Retry-After"]) == (503, "no_headroom", "1")


async def test_upstream_zero_remaining_blocks_until_reset(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.observe("ollama", RateLimitInfo(remaining_requests=0, reset_requests_s=12.5))
    error = await refused(headroom, "ollama")
    assert error.kind == "upstream"
    assert error.retry_after == pytest.approx(12.5)
    clock.advance(seconds=12)
    await refused(headroom, "ollama")
    clock.advance(seconds=0.5)
    await headroom.acquire("ollama", 1)


async def test_zero_remaining_tokens_uses_the_tokens_reset(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    info = RateLimitInfo(
        remaining_requests=5, remaining_tokens=0, reset_requests_s=1, reset_tokens_s=7
    )
    await headroom.observe("openai", info)
    assert (await refused(headroom, "openai")).retry_after == pytest.approx(7)


async def test_reset_counts_from_observed_at(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    seen = clock() - timedelta(seconds=4)
    info = RateLimitInfo(remaining_requests=0, reset_requests_s=10, observed_at=seen)
    await headroom.observe("ollama", info)
    assert (await refused(headroom, "ollama")).retry_after == pytest.approx(6)


async def test_retry_after_on_429_blocks(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.observe("openai", None, retry_after=30)
    assert (await refused(headroom, "openai")).kind == "upstream"
    clock.advance(seconds=30)
    await headroom.acquire("openai", 1)


async def test_a_block_only_grows(make: Factory) -> None:
    headroom = make()
    await headroom.observe("openai", None, retry_after=30)
    await headroom.observe("openai", RateLimitInfo(remaining_requests=99, reset_requests_s=1))
    await headroom.observe("openai", None, retry_after=5)
    assert (await refused(headroom, "openai")).retry_after == pytest.approx(30)


async def test_remaining_above_zero_does_not_block(make: Factory) -> None:
    headroom = make()
    await headroom.observe("ollama", RateLimitInfo(remaining_requests=1, remaining_tokens=5))
    await headroom.acquire("ollama", 1)


async def test_zero_remaining_without_reset_blocks_briefly(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.observe("ollama", RateLimitInfo(remaining_requests=0))
    assert (await refused(headroom, "ollama")).retry_after == pytest.approx(1)
    clock.advance(seconds=1)
    await headroom.acquire("ollama", 1)


async def test_snapshot_of_own_window(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.acquire("openai", 100)
    clock.advance(seconds=15)
    await headroom.acquire("openai", 50)
    snap = await headroom.snapshot("openai")
    assert (snap.remaining_requests, snap.remaining_tokens, snap.blocked_until) == (1, 850, None)
    assert snap.reset_requests_s == snap.reset_tokens_s == pytest.approx(45)


async def test_snapshot_takes_the_tighter_of_own_and_upstream(
    make: Factory, clock: FakeClock
) -> None:
    headroom = make()
    await headroom.acquire("openai", 100)
    info = RateLimitInfo(
        remaining_requests=0, remaining_tokens=5000, reset_requests_s=8, reset_tokens_s=3
    )
    await headroom.observe("openai", info)
    snap = await headroom.snapshot("openai")
    assert snap.remaining_requests == 0
    assert snap.reset_requests_s == pytest.approx(8)
    assert snap.remaining_tokens == 900
    assert snap.reset_tokens_s == pytest.approx(60)
    assert snap.blocked_until == clock() + timedelta(seconds=8)


async def test_snapshot_forgets_upstream_after_its_reset(make: Factory, clock: FakeClock) -> None:
    headroom = make()
    await headroom.observe("ollama", RateLimitInfo(remaining_requests=4, reset_requests_s=2))
    assert (await headroom.snapshot("ollama")).remaining_requests == 4
    clock.advance(seconds=2)
    assert await headroom.snapshot("ollama") == HeadroomSnapshot(None, None, None, None, None)


async def test_negative_tokens_are_a_bug(make: Factory) -> None:
    with pytest.raises(ValueError, match="tokens"):
        await make().acquire("openai", -1)


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="rpm"):
        HeadroomLimits(rpm=0)


# --- shared across replicas (Redis only) ---------------------------------------------------


@pytest.fixture
async def replicas(redis_url: str, clock: FakeClock) -> AsyncIterator[list[RedisHeadroom]]:
    limits = {"p": HeadroomLimits(rpm=50, tpm=10_000)}
    made = [RedisHeadroom.from_url(redis_url, limits, clock=clock) for _ in range(3)]
    yield made
    for headroom in made:
        await headroom.aclose()


async def admitted(headroom: Headroom, name: str, tokens: int, count: int) -> int:
    async def one() -> bool:
        try:
            await headroom.acquire(name, tokens)
        except NoHeadroom:
            return False
        return True

    return sum(await asyncio.gather(*(one() for _ in range(count))))


async def test_rpm_exact_across_three_replicas(replicas: list[RedisHeadroom]) -> None:
    counts = await asyncio.gather(*(admitted(r, "p", 1, 100) for r in replicas))
    assert sum(counts) == 50


async def test_tpm_exact_across_three_replicas(replicas: list[RedisHeadroom]) -> None:
    counts = await asyncio.gather(*(admitted(r, "p", 300, 100) for r in replicas))
    assert sum(counts) == 33  # 33 * 300 = 9,900 <= 10,000 < 34 * 300


async def test_upstream_block_is_shared(replicas: list[RedisHeadroom]) -> None:
    await replicas[0].observe("p", None, retry_after=5)
    error = await refused(replicas[2], "p")
    assert error.kind == "upstream"
    assert error.retry_after == pytest.approx(5)


async def test_redis_down_raises_unavailable(
    replicas: list[RedisHeadroom], redis_server: RedisServer
) -> None:
    redis_server.pause()
    with pytest.raises(HeadroomUnavailable):
        await replicas[0].acquire("p", 1)
    with pytest.raises(HeadroomUnavailable):
        await replicas[0].observe("p", None, retry_after=1)
    with pytest.raises(HeadroomUnavailable):
        await replicas[0].snapshot("p")


async def test_headroom_resumes_after_redis_returns(
    replicas: list[RedisHeadroom], redis_server: RedisServer
) -> None:
    redis_server.pause()
    with pytest.raises(HeadroomUnavailable):
        await replicas[0].acquire("p", 1)
    redis_server.resume()
    assert await admitted(replicas[0], "p", 1, 60) == 50
