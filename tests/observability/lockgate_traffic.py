"""A real `lockgate serve` under steady load, so a real Prometheus sees every series move.

The configuration makes every metric family appear from genuine traffic: a priced provider with
a small budget (reservations, spend, the 90 % warning), rpm/tpm headroom (rate-limit gauges), a
second provider that fails on demand (breaker transitions and state), a tight chat limit (429s),
and the gauge updater running every second.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any, Self

import httpx

from tests.fixtures.serve import LockgateServer

PASSWORD = "correct horse battery staple"
BUDGET_LIMIT_USD = "0.08"
CONFIG: dict[str, Any] = {
    "providers": {
        "openai": {"type": "simulated", "first_token_latency": 0.01, "tokens_per_second": 500},
        "anthropic": {"type": "simulated", "first_token_latency": 0.01, "tokens_per_second": 500},
    },
    "models": {
        "gpt-4o-mini": {
            "provider": "openai",
            "price": {"input_per_mtok": 500, "output_per_mtok": 1000},
            "fallbacks": ["claude-sonnet"],
        },
        "claude-sonnet": {
            "provider": "anthropic",
            "price": {"input_per_mtok": 300, "output_per_mtok": 1500},
        },
    },
    "default_model": "gpt-4o-mini",
    "gate": {
        "budgets": {"providers": {"openai": {"daily_usd": BUDGET_LIMIT_USD}}},
        "providers": {"openai": {"rpm": 100000, "tpm": 100000000}},
        "breaker": {
            "consecutive_failures": 2,
            "min_calls": 1000,
            "cooldown_seconds": 1,
            "max_cooldown_seconds": 2,
        },
        "retry": {"attempts": 1},
        "rate_limits": {
            "default": "100000/minute",
            "per_ip": "100000/minute",
            "conversations": "100000/minute",
            "chat": "30/10 seconds",
        },
        "gauge_refresh_seconds": 1,
    },
    # the same first message in every fresh conversation: cache hits, saved spend, lookups
    "cache": {"enabled": True},
}


class LockgateTraffic:
    """``with LockgateTraffic(workdir) as traffic:`` — ``traffic.port``, ``traffic.token``."""

    def __init__(self, workdir: Path) -> None:
        self.token = secrets.token_urlsafe(16)
        self.server = LockgateServer(
            workdir, config=CONFIG, env={"LOCKGATE_METRICS_TOKEN": self.token}
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.requests = 0

    @property
    def port(self) -> int:
        return self.server.port

    def __enter__(self) -> Self:
        self.server.start()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.server.stop()

    def _run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30) as client:
            client.post(
                "/api/v1/auth/register", json={"email": "load@example.com", "password": PASSWORD}
            )
            client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
            # "hello N" is new every time (paid: spend, budgets); "again" is a cache hit
            contents = [
                "hello {turn} [[tokens:8]]",
                "x [[fail@openai:500]]",
                "y [[fail@openai:500]]",
                "again [[tokens:8]]",
            ]
            # Bounded: at most ~10 minutes of traffic even if the fixture is never closed.
            for turn in range(20_000):
                if self._stop.wait(0.05):
                    return
                # A fresh conversation each turn keeps every call's upper bound the same size.
                cid = client.post("/api/v1/conversations", json={}).json()["id"]
                client.post(
                    f"/api/v1/conversations/{cid}/messages",
                    json={
                        "content": contents[turn % len(contents)].format(turn=turn),
                        "max_tokens": 16,
                    },
                )
                client.get("/api/v1/conversations")
                client.get("/api/v1/nowhere")
                self.requests += 1
