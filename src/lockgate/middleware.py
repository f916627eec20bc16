"""Pure ASGI middleware (no BaseHTTPMiddleware, so streaming responses pass untouched).

* :class:`RequestLogMiddleware` — request id, one structured log line per request.
* :class:`SecurityHeadersMiddleware` — CSP, nosniff, Referrer-Policy, frame-ancestors.
* :class:`BodyLimitMiddleware` — 413 for bodies over the configured size, declared or streamed.
* :class:`HeaderLimitMiddleware` — 431 for a request head over :class:`HeaderLimits`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockgate.error_handlers import error_response
from lockgate.header_limits import HeaderLimits, HeadersTooLarge
from lockgate.observability.logging import get_logger

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def _header(scope: Scope, name: bytes) -> bytes:
    """The first value of header `name` (lower-case), or b"" (no dict built per request)."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = get_logger("lockgate.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER).decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((REQUEST_ID_HEADER, request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            state: dict[str, Any] = scope.get("state", {})
            self.log.info(
                "request",
                request_id=request_id,
                user_id=state.get("user_id"),
                method=scope["method"],
                route=getattr(route, "path", None) or "<unmatched>",
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodyLimitMiddleware:
    """``max_bytes`` for every body, except the paths in ``larger`` (path → their own limit):
    the ``/v1`` endpoints that take images inline need more than a chat message does."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await self._reject(scope, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            # A body without (or lying about) Content-Length is counted as it streams in; the
            # HTTPException reaches the app's handler, which answers 413 in the usual shape.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        """413 in the shape of the API the path belongs to (OpenAI's under ``/v1``,
        Anthropic's under ``/v1/messages``), and the connection closed: the body is not read."""
        message = f"The request body is larger than {limit} bytes."
        response = error_response(413, "payload_too_large", message, path=scope["path"])
        body = bytes(response.body)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class HeaderLimitMiddleware:
    """431 for a request whose head is over ``limits``, whatever server runs the app.

    ``lockgate serve`` already refuses such a head while it arrives
    (:mod:`lockgate.server_protocol`); this is the same rule for any other ASGI server, where
    the head has been parsed in full before the app sees it.
    """

    def __init__(self, app: ASGIApp, limits: HeaderLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))
        try:
            self.limits.check_scope(target, scope["headers"])
        except HeadersTooLarge as exc:
            headers = {"Connection": "close"}
            response = error_response(
                exc.status, exc.code, exc.message, headers, path=scope["path"]
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
