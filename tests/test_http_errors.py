"""The error contract: JSON bodies with stable codes, never a stack trace."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI, Request

from lockgate.error_handlers import install_error_handlers
from tests.fixtures.appkit import ApiClient


async def test_unknown_api_path_is_json_404(client: ApiClient) -> None:
    response = await client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No such API route."}}


async def test_wrong_method_is_405_json(client: ApiClient) -> None:
    response = await client.put("/api/v1/auth/me")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_malformed_json_is_400(user_client: ApiClient) -> None:
    response = await user_client.post(
        "/api/v1/conversations",
        content=b'{"title": "unterminated',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert (await user_client.get("/api/v1/conversations")).json()["items"] == []


async def test_oversized_declared_body_is_413(user_client: ApiClient) -> None:
    body = b'{"title": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await user_client.post(
        "/api/v1/conversations", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert (await user_client.get("/api/v1/conversations")).json()["items"] == []


async def test_oversized_streamed_body_is_413(user_client: ApiClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    response = await user_client.post(
        "/api/v1/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_security_headers_on_every_response(client: ApiClient) -> None:
    response = await client.get("/health/live")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_request_id_is_echoed_or_generated(client: ApiClient) -> None:
    echoed = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health/live", headers={"X-Request-ID": "bad id\n"})
    assert generated.headers["x-request-id"] != "bad id\n"
    assert len(generated.headers["x-request-id"]) == 16


async def test_cors_is_off_by_default(client: ApiClient) -> None:
    response = await client.options(
        "/api/v1/auth/me",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_openapi_declares_the_error_shape(client: ApiClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    responses = spec["paths"]["/api/v1/conversations/{conversation_id}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")


async def test_a_client_that_hangs_up_mid_body_is_not_an_error() -> None:
    """Endpoints that read the raw body (the /v1 gateway) see Starlette's ClientDisconnect when
    the client hangs up: answered 499 and logged as info, not an unhandled 500 with a trace."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/v1/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/raw",
        "raw_path": b"/v1/raw",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"50")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 499, sent
