"""The gate's own cost per request: admit + settle, and one HTTP rate-limit check.

Measured sequentially (one request at a time, so the figure is latency added to a call, not
throughput), for the in-memory backends and for Redis (a real ``redis-server`` started on a free
loopback port). Prints medians and p99 in microseconds and writes ``bench/results/gate-*.json``.

    .venv/bin/python -m bench.gate [--requests 3000]
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

from lockgate.clock import system_clock
from lockgate.gate.config import GateConfig
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.ratelimit import HttpRateLimiter
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


async def gate_cost(redis_url: str | None, requests: int) -> dict[str, float]:
    redis = create_redis(redis_url) if redis_url else None
    gate = build_gate(CONFIG, ["openai"], redis=redis, clock=system_clock)
    user = uuid.uuid4()
    samples = []
    for i in range(requests + 200):
        started = time.perf_counter()
        ticket = await gate.admit(
            "openai", user_id=user, upper_bound=Decimal("0.0021"), tokens=1200
        )
        await ticket.succeeded(Decimal("0.0013"))
        if i >= 200:  # warm-up: script loading, connection pool
            samples.append(time.perf_counter() - started)
    await gate.aclose()
    if redis is not None:
        await redis.aclose()
    return summary(samples)


async def limiter_cost(redis_url: str | None, requests: int) -> dict[str, float]:
    limiter = HttpRateLimiter(redis_url, default="100000000/minute")
    samples = []
    for i in range(requests + 200):
        started = time.perf_counter()
        await limiter.check_key(f"user:{i % 50}", "global")
        if i >= 200:
            samples.append(time.perf_counter() - started)
    await limiter.aclose()
    return summary(samples)


async def run(requests: int) -> dict[str, Any]:
    results: dict[str, Any] = {
        "memory": {
            "gate_admit_settle": await gate_cost(None, requests),
            "http_rate_limit": await limiter_cost(None, requests),
        }
    }
    with RedisServer() as server:
        results["redis"] = {
            "gate_admit_settle": await gate_cost(server.url, requests),
            "http_rate_limit": await limiter_cost(server.url, requests),
        }
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
    print(f"{'backend':<8} {'what':<20} {'median':>8} {'p99':>8}")
    for backend, parts in results.items():
        for what, figures in parts.items():
            print(f"{backend:<8} {what:<20} {figures['median_us']:>8} {figures['p99_us']:>8}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
