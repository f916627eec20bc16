"""The gate's own cost per request: admit + settle, and one HTTP rate-limit check.

Measured sequentially (one request at a time, so the figure is latency added to a call, not
throughput), for the in-memory backends and for Redis (a real ``redis-server`` started on a free
loopback port). Prints medians and p99 in microseconds and writes ``bench/results/gate-*.json``.

    .venv/bin/python -m bench.gate [--requests 3000]

What is measured:

* ``gate_admit_settle``: ``Gate.admit`` then ``Ticket.succeeded`` for a signed-in user (the
  provider's daily budget and the user's daily and monthly ones), no hooks;
* ``gate_admit_settle_key``: the same as a ``/v1`` call makes it in the app: the API key's daily
  and monthly budgets too (``extra_limits``, new `BudgetLimit` objects per call, as the gateway
  builds them), a threshold hook and the metrics;
* ``http_rate_limit``: ``HttpRateLimiter.check_key``, one limit;
* ``http_rate_limit_client``: ``HttpRateLimiter.check`` as ``RateLimitMiddleware`` calls it, for
  a bearer token (the client key is its hash) with the per-IP ceiling on top: two limits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection

from lockgate.clock import system_clock
from lockgate.gate.budget import BudgetLimit, BudgetStatus
from lockgate.gate.config import GateConfig
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.observability.metrics import Metrics
from tests.fixtures.redis import RedisServer

RESULTS = Path(__file__).parent / "results"
CONFIG = GateConfig.model_validate(
    {
        "budgets": {
            "providers": {"openai": {"daily_usd": "1000000"}},
            "users": {"daily_usd": "100000", "monthly_usd": "1000000"},
        },
        "providers": {"openai": {"rpm": 10_000_000, "tpm": 10_000_000_000}},
    }
)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6, 1),
        "mean_us": round(statistics.fmean(ordered) * 1e6, 1),
    }


async def on_threshold(status: BudgetStatus, threshold: float) -> None:
    """The app's hook posts a webhook; the budgets here are far from any threshold."""


async def gate_cost(redis_url: str | None, requests: int, *, key: bool = False) -> dict[str, float]:
    redis = create_redis(redis_url) if redis_url else None
    gate = build_gate(
        CONFIG,
        ["openai"],
        redis=redis,
        clock=system_clock,
        on_threshold=on_threshold if key else None,
        metrics=Metrics() if key else None,
    )
    user, key_id = uuid.uuid4(), uuid.uuid4()
    daily, monthly = Decimal("100000"), Decimal("1000000")
    samples = []
    for i in range(requests + 200):
        started = time.perf_counter()
        extra = (
            [
                BudgetLimit(f"key:{key_id}:daily", daily, "daily"),
                BudgetLimit(f"key:{key_id}:monthly", monthly, "monthly"),
            ]
            if key
            else []
        )
        ticket = await gate.admit(
            "openai", user_id=user, upper_bound=Decimal("0.0021"), tokens=1200, extra_limits=extra
        )
        await ticket.succeeded(Decimal("0.0013"))
        if i >= 200:  # warm-up: script loading, connection pool
            samples.append(time.perf_counter() - started)
    await gate.aclose()
    if redis is not None:
        await redis.aclose()
    return summary(samples)


def connection(token: str) -> HTTPConnection:
    """A request as the middleware sees it: a bearer token, from a client on loopback."""
    headers = [(b"authorization", f"Bearer {token}".encode())]
    scope = {"type": "http", "path": "/v1/x", "headers": headers, "client": ("127.0.0.1", 1)}
    return HTTPConnection({**scope, "state": {}})


async def limiter_cost(
    redis_url: str | None, requests: int, *, client: bool = False
) -> dict[str, float]:
    limit = "100000000/minute"
    limiter = HttpRateLimiter(redis_url, default=limit, per_ip=limit if client else None)
    samples = []
    for i in range(requests + 200):
        started = time.perf_counter()
        if client:
            await limiter.check(connection(f"lg-token-{i % 50}"))
        else:
            await limiter.check_key(f"user:{i % 50}", "global")
        if i >= 200:
            samples.append(time.perf_counter() - started)
    await limiter.aclose()
    return summary(samples)


async def measure(redis_url: str | None, requests: int) -> dict[str, Any]:
    return {
        "gate_admit_settle": await gate_cost(redis_url, requests),
        "gate_admit_settle_key": await gate_cost(redis_url, requests, key=True),
        "http_rate_limit": await limiter_cost(redis_url, requests),
        "http_rate_limit_client": await limiter_cost(redis_url, requests, client=True),
    }


async def run(requests: int) -> dict[str, Any]:
    results: dict[str, Any] = {"memory": await measure(None, requests)}
    with RedisServer() as server:
        results["redis"] = await measure(server.url, requests)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    results = asyncio.run(run(args.requests))
    report = {
        "benchmark": "gate",
        "requests": args.requests,
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"gate-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"gate cost per request, sequential, {args.requests} requests (µs)")
    print(f"{'backend':<8} {'what':<24} {'median':>8} {'p99':>8}")
    for backend, parts in results.items():
        for what, figures in parts.items():
            print(f"{backend:<8} {what:<24} {figures['median_us']:>8} {figures['p99_us']:>8}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
