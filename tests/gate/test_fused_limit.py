"""A ``/v1`` request's global HTTP limit counted in the gate's admit (one Redis round trip), on a
real Redis: exact across replicas under concurrency, a refused hit runs nothing else, and the
middleware answers exactly as when it counts the hit itself (`lockgate.gate.ratelimit.pending`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from lockgate.clock import FakeClock
from lockgate.error_handlers import install_error_handlers
from lockgate.errors import AppError, BadRequest, RateLimited
from lockgate.gate import Gate, GateConfig
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.http.ratelimit import PENDING_STATE, RateLimitMiddleware

USER = uuid.UUID(int=5)
CONFIG = GateConfig.model_validate(
    {
        "budgets": {"users": {"daily_usd": "100"}},
        "providers": {"openai": {"max_concurrent": 64, "max_queue": 0}},
    }
)
PATH = "/v1/chat/completions"
CENT = Decimal("0.01")


class Replica:
    """One replica's HTTP limiter and gate on the shared Redis, as the lifespan builds them."""

    def __init__(self, url: str, clock: FakeClock, fuse: bool = True) -> None:
        self.redis: Redis = create_redis(url)
        self.limiter = HttpRateLimiter(url, default="5/minute")
        self.limiter.fuse_with_gate = fuse
        self.gate: Gate = build_gate(CONFIG, ["openai"], redis=self.redis, clock=clock)

    def pending(self, token: str = "lg-one") -> PendingHit:
        scope = {
            "type": "http",
            "method": "POST",
            "path": PATH,
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 5000),
        }
        hit = self.limiter.pending(HTTPConnection(scope))
        assert hit is not None
        return hit

    async def aclose(self) -> None:
        await self.gate.aclose()
        await self.limiter.aclose()
        await self.redis.aclose()


@pytest.fixture
async def replicas(redis_url: str, clock: FakeClock) -> AsyncIterator[list[Replica]]:
    built = [Replica(redis_url, clock), Replica(redis_url, clock)]
    yield built
    for replica in built:
        await replica.aclose()


async def evalsha_calls(redis: Redis) -> int:
    stats: dict[str, Any] = await redis.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def reserved(gate: Gate) -> Decimal:
    (limit,) = gate.budget_limits("openai", USER)
    return (await gate.budgets.status(limit)).reserved_usd


async def test_the_limit_and_the_admit_are_one_round_trip(replicas: list[Replica]) -> None:
    replica = replicas[0]
    warm = replica.pending("lg-warm-up")  # the script loaded (a first EVALSHA may miss it)
    await replica.gate.admit("openai", user_id=USER, upper_bound=CENT, tokens=5, hit=warm)
    hit = replica.pending()
    before = await evalsha_calls(replica.redis)
    await replica.gate.admit("openai", user_id=USER, upper_bound=CENT, tokens=5, hit=hit)
    after = await evalsha_calls(replica.redis)
    headers = hit.headers
    assert headers is not None
    assert (after - before, headers.limit, headers.remaining, await reserved(replica.gate)) == (
        1,
        5,
        4,
        2 * CENT,
    )


async def test_concurrent_requests_on_two_replicas_admit_exactly_the_limit(
    replicas: list[Replica],
) -> None:
    """20 requests of one client at once, half on each replica, limit 5/minute: exactly 5 are
    admitted, the 15 refused reserve nothing (the refused hit ran nothing else)."""

    async def request(i: int) -> str:
        replica = replicas[i % 2]
        try:
            await replica.gate.admit(
                "openai", user_id=USER, upper_bound=CENT, tokens=5, hit=replica.pending()
            )
        except AppError as exc:
            return exc.code
        return "admitted"

    outcomes = await asyncio.gather(*(request(i) for i in range(20)))
    assert (
        outcomes.count("admitted"),
        outcomes.count("rate_limited"),
        await reserved(replicas[0].gate),
    ) == (5, 15, 5 * CENT)


async def test_a_refused_hit_is_the_limiters_own_refusal(replicas: list[Replica]) -> None:
    replica = replicas[0]
    for _ in range(5):
        await replica.gate.admit(
            "openai", user_id=USER, upper_bound=CENT, tokens=5, hit=replica.pending()
        )
    with pytest.raises(RateLimited) as fused:
        await replica.gate.admit(
            "openai", user_id=USER, upper_bound=CENT, tokens=5, hit=replica.pending()
        )
    with pytest.raises(RateLimited) as alone:
        await replica.pending().count()
    assert (fused.value.code, sorted(fused.value.headers or {})) == (
        alone.value.code,
        sorted(alone.value.headers or {}),
    )
    assert fused.value.headers == alone.value.headers


def build_app(replica: Replica, *, deferred: bool) -> FastAPI:
    """A ``/v1`` endpoint that admits through the gate (counting the pending hit there), or
    refuses with a 400 before any Redis step when asked to."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post(PATH)
    async def complete(request: Request) -> dict[str, bool]:
        if request.headers.get("x-bad") == "1":
            raise BadRequest("bad request")
        hit = request.scope.get("state", {}).get(PENDING_STATE)
        ticket = await replica.gate.admit(
            "openai", user_id=USER, upper_bound=CENT, tokens=5, hit=hit
        )
        await ticket.succeeded(CENT)
        return {"ok": True}

    paths = (PATH,) if deferred else ()
    app.add_middleware(RateLimitMiddleware, limiter=replica.limiter, deferred=paths)
    return app


async def responses(app: FastAPI, bad: list[bool]) -> list[tuple[int, str, dict[str, str]]]:
    """Send one request per item (``True``: a bad one); status, error code, limit headers."""
    out = []
    transport = httpx.ASGITransport(app=app)
    headers = {"authorization": "Bearer lg-client"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for is_bad in bad:
            reply = await client.post(PATH, headers={**headers, "x-bad": "1" if is_bad else "0"})
            code = reply.json().get("error", {}).get("code", "") if reply.status_code >= 400 else ""
            limit_headers = {
                name: value
                for name, value in reply.headers.items()
                if name.startswith("ratelimit-") or name == "retry-after"
            }
            out.append((reply.status_code, code, limit_headers))
    return out


async def test_the_middleware_answers_as_when_it_counts_the_hit_itself(
    redis_url: str, clock: FakeClock
) -> None:
    """Same statuses, codes and headers, request by request, with and without the fused hit:
    a request that ends before the admit (400) is counted too, and once the limit is spent it
    gets the 429 instead of its 400."""
    sequence = [False, True, False, True, False, False, True]
    outcomes = []
    for deferred in (False, True):
        replica = Replica(redis_url, clock, fuse=deferred)
        try:
            await replica.redis.flushall()
            outcomes.append(await responses(build_app(replica, deferred=deferred), sequence))
        finally:
            await replica.aclose()
    plain, fused = outcomes
    statuses = [status for status, _, _ in fused]
    assert statuses == [200, 400, 200, 400, 200, 429, 429]
    assert fused == plain
