"""/v1 POSTs are served by the fast path (not FastAPI's router), with the same errors, route
labels and middlewares; other methods and paths still go through FastAPI."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from opentelemetry.sdk.trace import TracerProvider

from lockgate.app import create_app
from lockgate.gateway.fastpath import NotFastPathable, gateway_routes
from lockgate.observability.tracing import Tracing
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, make_config


@pytest.fixture
def no_fastapi_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request FastAPI would route to an APIRoute fails loudly."""

    async def refuse(*_args: Any) -> NoReturn:
        raise AssertionError("routed by FastAPI")

    monkeypatch.setattr(APIRoute, "handle", refuse)


async def key_for(client: ApiClient) -> dict[str, str]:
    await client.register("fast@example.com")
    key = (await client.post("/api/v1/keys", json={"name": "k"})).json()["key"]
    return {"Authorization": f"Bearer {key}"}


async def test_v1_posts_bypass_fastapi_routing(
    client: ApiClient, state: AppState, no_fastapi_routing: None
) -> None:
    with pytest.raises(AssertionError, match="routed by FastAPI"):
        await client.register("fast@example.com")  # /api goes through FastAPI: refused here


async def test_the_fast_path_answers_with_the_usual_errors_and_labels(
    client: ApiClient, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await key_for(client)  # set up through FastAPI, before routing is refused

    async def refuse(*_args: Any) -> NoReturn:
        raise AssertionError("routed by FastAPI")

    monkeypatch.setattr(APIRoute, "handle", refuse)
    body = {"model": "nope", "messages": [{"role": "user", "content": "hi"}]}
    missing = await client.post("/v1/chat/completions", json=body, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    unauthenticated = await client.post("/v1/embeddings", json={}, headers={})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["type"] == "invalid_request_error"
    assert unauthenticated.headers["x-request-id"]  # the middlewares outside still apply
    assert unauthenticated.headers["x-content-type-options"] == "nosniff"
    broken = await client.post("/v1/images/generations", content=b"{not json", headers={**headers})
    assert broken.status_code == 400
    text = state.metrics.render()[0].decode()
    assert 'route="/v1/chat/completions"' in text
    assert 'route="/v1/embeddings"' in text


async def test_other_methods_still_get_fastapi_answers(client: ApiClient) -> None:
    wrong = await client.get("/v1/chat/completions")
    assert wrong.status_code == 405


def test_with_tracing_on_v1_takes_the_instrumented_path(tmp_path: Path) -> None:
    config = make_config(f"sqlite+aiosqlite:///{tmp_path}/lockgate.db", tmp_path)
    traced = create_app(config, tracing=Tracing(provider=TracerProvider()))
    assert traced.fast_paths == frozenset()
    plain = create_app(config)
    assert plain.fast_paths == {
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/images/generations",
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/responses",
    }


def test_a_v1_post_with_a_dependency_is_refused_when_the_app_is_built() -> None:
    """The fast path calls endpoints with the request only; a route that declares more must
    fail loudly at build time rather than be served without what it declared."""
    router = APIRouter()

    def needs() -> int:
        return 1

    @router.post("/v1/with-dependency")
    async def with_dependency(request: Request, value: int = Depends(needs)) -> dict[str, int]:
        return {"value": value}

    @router.post("/v1/plain")
    async def plain(request: Request) -> dict[str, int]:
        return {}

    with pytest.raises(NotFastPathable, match=r"/v1/with-dependency declares"):
        gateway_routes(router.routes)
    assert [r.path for r in gateway_routes(router.routes[1:])] == ["/v1/plain"]
