"""HTTP side of the metrics: request metrics middleware and the ``/metrics`` scrape endpoint.

* :class:`MetricsMiddleware` — pure ASGI (streams pass untouched); labels requests by the route
  *template* FastAPI matched (``/api/v1/conversations/{conversation_id}``), never the raw path,
  and ``<unmatched>`` when no route matched, so label values stay bounded.
* :func:`metrics_router` — ``GET /metrics`` on the app itself, optionally behind a bearer token.
* :func:`serve_metrics_on_port` — the same exposition on its own port (e.g. only reachable inside
  the cluster), run by the lifespan. It is a tiny asyncio HTTP server rather than a nested uvicorn,
  which would take over the process's signal handlers. With several workers each one binds the
  port with ``SO_REUSEPORT`` and any of them answers with the merged view of all.

Wiring (in ``create_app``)::

    metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if settings.metrics_port is None:
        app.include_router(metrics_router(metrics, token=settings.metrics_token))
    # in the lifespan, when metrics_port is set:
    async with serve_metrics_on_port(metrics, settings.metrics_port, host=..., token=...):
        yield ...
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockgate.errors import NotAuthenticated
from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import UNMATCHED_ROUTE, Metrics

log = get_logger("lockgate.observability.http")

_MAX_HEADER_BYTES = 16 * 1024
_READ_TIMEOUT_S = 10.0
TOKEN_MESSAGE = "A valid metrics bearer token is required."


class MetricsMiddleware:
    """Counts and times every HTTP request; add it outermost so 413s and 500s are counted too."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # an exception before the response started is a 500 for the client
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.metrics.http_in_flight():
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
                self.metrics.observe_http_request(
                    scope["method"], route, status, time.perf_counter() - started
                )


def token_matches(authorization: str | None, token: SecretStr | None) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time; no token configured = open."""
    if token is None:
        return True
    scheme, _, credentials = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), expected
    )


def metrics_router(
    metrics: Metrics, *, token: SecretStr | None = None, path: str = "/metrics"
) -> APIRouter:
    """``GET /metrics`` (kept out of the OpenAPI schema: it is for Prometheus, not API clients)."""
    router = APIRouter()

    # A plain ``def``: rendering reads the workers' files, so it runs in the thread pool.
    @router.get(path, include_in_schema=False)
    def scrape(request: Request) -> Response:
        if not token_matches(request.headers.get("authorization"), token):
            raise NotAuthenticated(TOKEN_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return router


@asynccontextmanager
async def serve_metrics_on_port(
    metrics: Metrics,
    port: int,
    *,
    host: str = "127.0.0.1",
    token: SecretStr | None = None,
    path: str = "/metrics",
) -> AsyncIterator[asyncio.Server]:
    """Serve ``GET /metrics`` on ``host:port`` while the block runs (port 0: any free port).

    Example::

        async with serve_metrics_on_port(metrics, 9464, host="0.0.0.0") as server:
            port = server.sockets[0].getsockname()[1]
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            status, headers, body = await _respond(metrics, head, token, path)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            status, headers, body = 400, [], b""
        except Exception as exc:  # one bad scrape must not end the metrics server
            log.error("metrics_scrape_failed", error=repr(exc))
            status, headers, body = 500, [], b""
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        with contextlib.suppress(ConnectionError):
            writer.write("\r\n".join(lines).encode("latin-1") + body)
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    server = await asyncio.start_server(
        handle, host, port, limit=_MAX_HEADER_BYTES, reuse_port=metrics.multiprocess
    )
    log.info("metrics_server_started", address=f"{host}:{server.sockets[0].getsockname()[1]}")
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


async def _respond(
    metrics: Metrics, head: bytes, token: SecretStr | None, path: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, _, rest = request_line.partition(" ")
    target = rest.partition(" ")[0].partition("?")[0]
    headers = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if target != path:
        return _error(404, "not_found", "Only /metrics is served here.")
    if method not in ("GET", "HEAD"):
        return 405, [("Allow", "GET, HEAD")], b""
    if not token_matches(headers.get("authorization"), token):
        status, extra, body = _error(401, "not_authenticated", TOKEN_MESSAGE)
        return status, [*extra, ("WWW-Authenticate", "Bearer")], body
    body, content_type = await asyncio.to_thread(metrics.render)
    return 200, [("Content-Type", content_type)], body if method == "GET" else b""


def _error(status: int, code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return status, [("Content-Type", "application/json")], body
