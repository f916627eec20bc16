"""The request-metrics middleware and the /metrics endpoints, on a tiny FastAPI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import SecretStr

from lockgate.error_handlers import install_error_handlers
from lockgate.observability.http import MetricsMiddleware, metrics_router, serve_metrics_on_port
from lockgate.observability.metrics import Metrics

TOKEN = "metrics-token-for-tests"


def build(metrics: Metrics, *, token: str | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    seen: dict[str, float | None] = {}

    @app.get("/api/v1/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        seen["in_flight"] = metrics.registry.get_sample_value("lockgate_http_requests_in_flight")
        return {"id": item_id}

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/api/v1/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"data: {n}\n\n".encode()
                await asyncio.sleep(0)

        return StreamingResponse(chunks(), media_type="text/event-stream")

    app.include_router(metrics_router(metrics, token=SecretStr(token) if token else None))
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.state.seen = seen
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def count(metrics: Metrics, method: str, route: str, status: str) -> float | None:
    return metrics.registry.get_sample_value(
        "lockgate_http_requests_total", {"method": method, "route": route, "status": status}
    )


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


async def test_requests_are_labelled_with_the_route_template(metrics: Metrics) -> None:
    async with client(build(metrics)) as c:
        await c.get("/api/v1/items/1")
        await c.get("/api/v1/items/2")
    assert count(metrics, "GET", "/api/v1/items/{item_id}", "200") == 2.0


async def test_the_raw_path_is_never_a_label(metrics: Metrics) -> None:
    async with client(build(metrics)) as c:
        await c.get("/api/v1/items/12345")
    body, _ = metrics.render()
    assert b"12345" not in body


async def test_unmatched_paths_share_one_label(metrics: Metrics) -> None:
    async with client(build(metrics)) as c:
        await c.get("/nowhere/1")
        await c.get("/nowhere/2")
    assert count(metrics, "GET", "<unmatched>", "404") == 2.0


async def test_validation_errors_keep_the_route_and_their_status(metrics: Metrics) -> None:
    async with client(build(metrics)) as c:
        await c.get("/api/v1/items/not-a-number")
    assert count(metrics, "GET", "/api/v1/items/{item_id}", "422") == 1.0


async def test_an_exception_counts_as_a_500_and_leaves_no_request_in_flight(
    metrics: Metrics,
) -> None:
    async with client(build(metrics)) as c:
        response = await c.get("/api/v1/boom")
    assert (
        response.status_code,
        count(metrics, "GET", "/api/v1/boom", "500"),
        metrics.registry.get_sample_value("lockgate_http_requests_in_flight"),
    ) == (500, 1.0, 0.0)


async def test_streamed_responses_are_counted_and_timed(metrics: Metrics) -> None:
    async with client(build(metrics)) as c:
        response = await c.get("/api/v1/stream")
    duration_count = metrics.registry.get_sample_value(
        "lockgate_http_request_duration_seconds_count",
        {"method": "GET", "route": "/api/v1/stream"},
    )
    assert (response.text.count("data:"), duration_count) == (3, 1.0)


async def test_in_flight_is_one_during_a_request_and_zero_after(metrics: Metrics) -> None:
    app = build(metrics)
    async with client(app) as c:
        await c.get("/api/v1/items/1")
        await c.get("/api/v1/stream")
    after = metrics.registry.get_sample_value("lockgate_http_requests_in_flight")
    assert (app.state.seen["in_flight"], after) == (1.0, 0.0)


async def test_metrics_endpoint_is_open_without_a_token(metrics: Metrics) -> None:
    async with client(build(metrics)) as c:
        response = await c.get("/metrics")
    assert (response.status_code, response.headers["content-type"].split(";")[0]) == (
        200,
        "text/plain",
    )


async def test_metrics_endpoint_refuses_a_missing_or_wrong_token(metrics: Metrics) -> None:
    async with client(build(metrics, token=TOKEN)) as c:
        missing = await c.get("/metrics")
        wrong = await c.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert [
        (r.status_code, r.json()["error"]["code"], r.headers.get("www-authenticate"))
        for r in (missing, wrong)
    ] == [(401, "not_authenticated", "Bearer")] * 2


async def test_metrics_endpoint_serves_with_the_token(metrics: Metrics) -> None:
    async with client(build(metrics, token=TOKEN)) as c:
        await c.get("/api/v1/items/1")
        response = await c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert 'route="/api/v1/items/{item_id}"' in response.text


async def test_metrics_endpoint_is_not_in_the_openapi_schema(metrics: Metrics) -> None:
    assert "/metrics" not in build(metrics).openapi()["paths"]


async def test_separate_port_serves_metrics_with_the_token(metrics: Metrics) -> None:
    metrics.rate_limited("global")
    async with serve_metrics_on_port(metrics, 0, token=SecretStr(TOKEN)) as server:
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            response = await c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (response.status_code, 'scope="global"' in response.text) == (200, True)


async def test_separate_port_refuses_without_the_token(metrics: Metrics) -> None:
    async with serve_metrics_on_port(metrics, 0, token=SecretStr(TOKEN)) as server:
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            response = await c.get("/metrics")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


async def test_separate_port_serves_only_metrics(metrics: Metrics) -> None:
    async with serve_metrics_on_port(metrics, 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            other = await c.get("/api/v1/items/1")
            post = await c.post("/metrics")
    assert (other.status_code, post.status_code) == (404, 405)
