"""/v1 POSTs are plain Starlette routes in the app's one router: no dependency solving, yet the
same middleware stack, exception handlers, route labels and tracing as every other route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn

import fastapi.routing
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lockgate.app import create_app
from lockgate.clock import FakeClock
from lockgate.observability.tracing import Tracing
from lockgate.state import AppState
from tests.fixtures.appkit import (
    CHEAP_HASHING,
    ApiClient,
    api_client,
    make_config,
    migrated_sqlite_url,
    no_sleep,
)

CHAT = {"model": "nope", "messages": [{"role": "user", "content": "hi"}]}


@asynccontextmanager
async def serving(tmp_path: Path, **kwargs: Any) -> AsyncIterator[tuple[FastAPI, ApiClient]]:
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path)
    app = create_app(
        config, clock=FakeClock(), passwords=CHEAP_HASHING, provider_sleep=no_sleep, **kwargs
    )
    async with LifespanManager(app) as manager, api_client(manager.app) as client:
        yield app, client


def refuse_dependency_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request FastAPI solves dependencies for fails loudly."""

    async def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise AssertionError("dependencies solved")

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", refuse)


async def key_for(client: ApiClient) -> dict[str, str]:
    await client.register("plain@example.com")
    key = (await client.post("/api/v1/keys", json={"name": "k"})).json()["key"]
    return {"Authorization": f"Bearer {key}"}


async def test_v1_posts_solve_no_dependencies_and_answer_as_usual(
    client: ApiClient, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await key_for(client)  # set up through FastAPI, before solving is refused
    refuse_dependency_solving(monkeypatch)
    with pytest.raises(AssertionError, match="dependencies solved"):
        await client.get("/api/v1/keys")  # /api solves its dependencies: refused here
    missing = await client.post("/v1/chat/completions", json=CHAT, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    unauthenticated = await client.post("/v1/embeddings", json={}, headers={})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["type"] == "invalid_request_error"
    assert unauthenticated.headers["x-request-id"]  # the middlewares outside still apply
    assert unauthenticated.headers["x-content-type-options"] == "nosniff"
    broken = await client.post("/v1/images/generations", content=b"{not json", headers=headers)
    assert broken.status_code == 400
    text = state.metrics.render()[0].decode()
    assert 'route="/v1/chat/completions"' in text
    assert 'route="/v1/embeddings"' in text


def layers(app: FastAPI) -> list[Any]:
    """The middleware stack FastAPI built, outermost first, down to (not including) the router."""
    out: list[Any] = []
    layer: Any = app.middleware_stack
    while layer is not app.router:
        out.append(layer)
        layer = layer.app
    return out


def record_calls(cls: type, crossed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    call: Callable[..., Awaitable[None]] = cls.__call__

    async def recorded(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            crossed.append(cls.__name__)
        await call(self, scope, receive, send)

    monkeypatch.setattr(cls, "__call__", recorded)


async def test_v1_posts_cross_the_same_middleware_stack_as_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every layer FastAPI builds (its own included: the old second stack lacked three of them)
    sees a /v1 POST exactly as it sees an /api request."""
    async with serving(tmp_path) as (app, client):
        await client.get("/health/live")  # the stack is built
        stack = layers(app)
        assert "AsyncExitStackMiddleware" in [type(layer).__name__ for layer in stack]
        crossed: list[str] = []
        for layer in stack:
            record_calls(type(layer), crossed, monkeypatch)

        assert (await client.get("/api/v1/keys")).status_code == 401
        api, crossed[:] = list(crossed), []
        assert (await client.post("/v1/embeddings", json={})).status_code == 401
        assert crossed == api == [type(layer).__name__ for layer in stack]


async def test_other_methods_get_405(client: ApiClient) -> None:
    wrong = await client.get("/v1/chat/completions")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"


async def test_with_tracing_on_v1_posts_are_plain_and_get_their_server_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        async with serving(tmp_path, tracing=Tracing(provider=provider)) as (_app, client):
            refuse_dependency_solving(monkeypatch)
            response = await client.post("/v1/chat/completions", json=CHAT)
            assert response.status_code == 401
    finally:
        provider.shutdown()
    servers = [
        (span.name, span.attributes and span.attributes.get("http.route"))
        for span in exporter.get_finished_spans()
        if span.kind == SpanKind.SERVER
    ]
    assert servers == [("POST /v1/chat/completions", "/v1/chat/completions")]
