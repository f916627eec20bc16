"""A tiny app that feeds every Lockgate metric, for tests that need real series.

`exercise` calls every public :class:`Metrics` method (a test checks that it does), and
`TrafficThread` runs it in a loop next to a ``serve_metrics_on_port`` server, so a real Prometheus
scraping that port sees every series move.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import Self

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from lockgate.error_handlers import install_error_handlers
from lockgate.errors import RateLimited, ServiceUnavailable
from lockgate.observability.http import MetricsMiddleware, serve_metrics_on_port
from lockgate.observability.metrics import RESERVATION_RESULTS, SCOPE_KINDS, Metrics

PROVIDERS = ("openai", "anthropic")
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet"}
BUDGET_SPENT = Decimal("4.20")
BUDGET_LIMIT = Decimal("10")
PATHS = ("/api/v1/items/1", "/api/v1/items/2", "/nowhere", "/api/v1/unavailable", "/api/v1/limited")
BREAKER_CYCLE = (("closed", "open"), ("open", "half_open"), ("half_open", "closed"))


def build_app(metrics: Metrics) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/api/v1/unavailable")
    async def unavailable() -> None:
        raise ServiceUnavailable()

    @app.get("/api/v1/limited")
    async def limited() -> None:
        metrics.rate_limited("global")
        raise RateLimited(retry_after=1)

    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def exercise(metrics: Metrics, step: int) -> None:
    """One round of every kind of event, with values that vary from step to step."""
    for index, provider in enumerate(PROVIDERS):
        model = MODELS[provider]
        metrics.declare_provider(provider)
        metrics.declare_model(provider, model)
        if step % 3 == 0:
            metrics.usage_over_reservation(provider, model)
        metrics.observe_provider_call(
            provider,
            model,
            "success" if step % 4 else "error",
            duration_s=0.4 + (step % 7) * 0.3,
            ttft_s=0.1 + (step % 5) * 0.1,
            input_tokens=100 + step,
            output_tokens=40 + step % 13,
            cost_usd=Decimal("0.00125"),
        )
        old, new = BREAKER_CYCLE[(step + index) % len(BREAKER_CYCLE)]
        metrics.breaker_transition(provider, old, new)
        metrics.shed(provider, "queue_full" if step % 2 else "wait_timeout")
        metrics.set_provider_gauges(
            provider,
            budget_ratio=float(BUDGET_SPENT / BUDGET_LIMIT),
            remaining_requests=400 - step % 50,
            remaining_tokens=150_000 - step * 10 % 50_000,
            limit_requests=500,
            limit_tokens=200_000,
            breaker_state=step % 3,
            queue_depth=step % 5,
            in_flight=step % 4,
        )
    for offset, kind in enumerate(SCOPE_KINDS):
        metrics.budget_reservation(kind, RESERVATION_RESULTS[(step + offset) % 3])
        metrics.budget_settled(kind, Decimal("0.00125"))
        metrics.budget_warning(kind, 0.9 if step % 2 else 1.0)
    metrics.rate_limited("endpoint")
    metrics.cache_request("exact", "hit" if step % 2 else "miss")
    metrics.cache_request("semantic", "hit" if step % 3 else "miss")
    metrics.cache_request("none", "bypass")
    metrics.cache_saved(Decimal("0.0004"))
    metrics.cache_lookup(0.001 + (step % 5) * 0.001)
    metrics.chat_sends_in_flight(1)
    metrics.chat_send_shed()
    metrics.chat_sends_in_flight(-1)
    with metrics.http_in_flight():
        metrics.observe_http_request("GET", "/direct", 200, 0.01)


async def send_requests(client: httpx.AsyncClient) -> None:
    for path in (
        "/api/v1/items/1",
        "/api/v1/items/2",
        "/nowhere",
        "/api/v1/unavailable",
        "/api/v1/limited",
    ):
        await client.get(path)


class TrafficThread:
    """An asyncio loop in a thread: the metrics port plus a traffic loop, until `stop()`.

    The loop is bounded: it ends by itself after `max_seconds` even if nobody stops it.
    """

    def __init__(
        self, metrics: Metrics, *, token: str, interval: float = 0.1, max_seconds: float = 300
    ) -> None:
        self.metrics = metrics
        self.token = token
        self.interval = interval
        self.max_seconds = max_seconds
        self.port = 0
        self.steps = 0
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="metrics-traffic", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise TimeoutError("the metrics server did not start in 30 s")
        if self._error is not None:
            raise RuntimeError("traffic thread failed") from self._error
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        if self._error is not None:
            raise RuntimeError("traffic thread failed") from self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        app = build_app(self.metrics)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        token = SecretStr(self.token)
        async with (
            serve_metrics_on_port(self.metrics, 0, token=token) as server,
            httpx.AsyncClient(transport=transport, base_url="http://app") as client,
        ):
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.max_seconds
            while not self._stop.is_set() and loop.time() < deadline:
                exercise(self.metrics, self.steps)
                await send_requests(client)
                self.steps += 1
                await asyncio.sleep(self.interval)
