"""install() and running(): what create_app and its lifespan call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from lockgate.observability.metrics import Metrics
from lockgate.observability.wiring import install, running


def build(metrics: Metrics, *, port: int | None, found: dict[str, int]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with running(metrics, metrics_port=port, metrics_token=SecretStr("t")) as server:
            if server is not None:
                found["port"] = server.sockets[0].getsockname()[1]
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    install(app, metrics, metrics_token=SecretStr("t"), serve_on_app=port is None)
    return app


async def test_metrics_on_the_app_when_no_port_is_configured() -> None:
    metrics = Metrics()
    app = build(metrics, port=None, found={})
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/api/v1/ping")
            scrape = await client.get("/metrics", headers={"Authorization": "Bearer t"})
    assert 'route="/api/v1/ping"' in scrape.text


async def test_metrics_on_their_own_port_and_not_on_the_app() -> None:
    metrics = Metrics()
    found: dict[str, int] = {}
    app = build(metrics, port=0, found=found)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            on_app = await client.get("/metrics", headers={"Authorization": "Bearer t"})
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{found['port']}") as client:
            on_port = await client.get("/metrics", headers={"Authorization": "Bearer t"})
    assert (on_app.status_code, on_port.status_code) == (404, 200)
