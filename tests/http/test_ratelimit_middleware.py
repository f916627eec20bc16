"""RateLimitMiddleware and endpoint_limit inside a small FastAPI app (the real error handlers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse

from lockgate.error_handlers import install_error_handlers
from lockgate.gate.client_id import parse_networks
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.http.ratelimit import RateLimitMiddleware, endpoint_limit
from tests.fixtures.ports import free_port


async def pretend_signed_in(request: Request) -> None:
    request.state.user_id = request.headers.get("x-test-user")


def build_app(limiter: HttpRateLimiter) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/chat", dependencies=[Depends(endpoint_limit("chat"))])
    async def chat() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/as-user")
    async def as_user(
        _user: Annotated[None, Depends(pretend_signed_in)],
        _limit: Annotated[None, Depends(endpoint_limit("chat"))],
    ) -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/login", dependencies=[Depends(endpoint_limit("auth", by="ip"))])
    async def login() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/stream", dependencies=[Depends(endpoint_limit("chat"))])
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"data: 1\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    @app.get("/health/live")
    async def live() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/v1/models")
    async def models() -> dict[str, list[str]]:
        return {"data": []}

    app.add_middleware(RateLimitMiddleware, limiter=limiter)
    return app


@pytest.fixture
def limiter() -> HttpRateLimiter:
    return HttpRateLimiter(
        default="5/minute",
        endpoint_limits={"chat": "2/minute", "auth": "1/minute"},
        trusted_proxies=parse_networks(["127.0.0.0/8"]),
    )


@pytest.fixture
async def client(limiter: HttpRateLimiter) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(limiter))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL nobody listens on."""
    return f"redis://127.0.0.1:{free_port()}/0"


def via(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


async def test_success_carries_ratelimit_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/ping")
    assert response.status_code == 200
    assert response.headers["RateLimit-Limit"] == "5"
    assert response.headers["RateLimit-Remaining"] == "4"
    assert 59 <= int(response.headers["RateLimit-Reset"]) <= 60


async def test_global_429_shape(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        await client.get("/api/ping")
    response = await client.get("/api/ping")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Reset"] == response.headers["Retry-After"]


async def test_v1_is_limited_and_health_is_not(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        await client.get("/v1/models")
    assert (await client.get("/v1/models")).status_code == 429
    health = await client.get("/health/live")
    assert health.status_code == 200
    assert "RateLimit-Limit" not in health.headers


async def test_endpoint_headers_report_the_tighter_limit(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/chat")
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "1"


async def test_endpoint_429_keeps_its_own_headers(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await client.post("/api/chat")
    response = await client.post("/api/chat")
    assert response.status_code == 429
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers.get_list("RateLimit-Limit") == ["2"]


async def test_streaming_response_gets_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/stream")
    assert response.text == "data: 1\n\n"
    assert response.headers["RateLimit-Remaining"] == "1"


async def test_forwarded_clients_from_trusted_proxy_are_separate(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        await client.get("/api/ping", headers=via("203.0.113.1"))
    assert (await client.get("/api/ping", headers=via("203.0.113.1"))).status_code == 429
    assert (await client.get("/api/ping", headers=via("203.0.113.2"))).status_code == 200


async def test_endpoint_after_auth_is_keyed_on_the_user(client: httpx.AsyncClient) -> None:
    user = {"x-test-user": "u-1"}
    await client.post("/api/as-user", headers={**user, **via("203.0.113.1")})
    await client.post("/api/as-user", headers={**user, **via("203.0.113.2")})
    response = await client.post("/api/as-user", headers={**user, **via("203.0.113.3")})
    assert response.status_code == 429


async def test_ip_keyed_endpoint_ignores_cookies(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/login", headers={"Cookie": "lockgate_session=a"})
    second = await client.post("/api/login", headers={"Cookie": "lockgate_session=b"})
    assert (first.status_code, second.status_code) == (200, 429)


async def test_endpoint_limit_without_middleware_is_a_bug() -> None:
    request = Request({"type": "http", "headers": [], "state": {}})
    with pytest.raises(RuntimeError, match="RateLimitMiddleware"):
        await endpoint_limit("chat")(request)


async def test_redis_down_open_policy_serves_without_headers(dead_redis_url: str) -> None:
    limiter = HttpRateLimiter(dead_redis_url, redis_failure="open")
    transport = httpx.ASGITransport(app=build_app(limiter))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/api/ping")
    await limiter.aclose()
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers


async def test_redis_down_closed_policy_answers_503(dead_redis_url: str) -> None:
    limiter = HttpRateLimiter(dead_redis_url, redis_failure="closed")
    transport = httpx.ASGITransport(app=build_app(limiter))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/api/ping")
    await limiter.aclose()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "rate_limit_unavailable"
    assert response.headers["Retry-After"] == "1"
