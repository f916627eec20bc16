"""The HTTP side of the rate limits: the ASGI middleware (the global limit on every request) and
the FastAPI dependency (an endpoint's own limit). The counting is the gate's
(`lockgate.gate.ratelimit.HttpRateLimiter`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockgate.error_handlers import error_response
from lockgate.errors import AppError
from lockgate.gate.ratelimit import HttpRateLimiter, KeyBy, RateLimitHeaders
from lockgate.gate.ratelimit.pending import PendingHit

LimiterOf = Callable[[Scope], HttpRateLimiter]
"""Finds the limiter for a request: the app's lives in its State, built by the lifespan."""

LIMITER_STATE = "http_limiter"
"""Key in the request's scope state where :class:`RateLimitMiddleware` puts the limiter."""
HEADERS_STATE = "ratelimit_headers"
PENDING_STATE = "ratelimit_pending"
"""Key in the request's scope state of its global limit's `PendingHit`, when deferred."""


def _merge_headers(state: dict[str, Any], headers: RateLimitHeaders | None) -> None:
    if headers is not None:
        state[HEADERS_STATE] = headers.tighter(state.get(HEADERS_STATE))


class RateLimitMiddleware:
    """Pure ASGI: the global limit on every request under ``prefixes``, headers on the response.

    ``limiter`` is the limiter or a function finding it in the request's scope (the app's is
    built by the lifespan, after the middleware). Also puts the limiter in the request's scope
    state for :func:`endpoint_limit`. Install it inside CORS (so a 429 is readable by the browser)
    and outside the body limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: HttpRateLimiter | LimiterOf,
        *,
        prefixes: Sequence[str] = ("/api/", "/v1/"),
        deferred: Sequence[str] = (),
    ) -> None:
        """``deferred``: POST paths whose global limit may be counted later, in the gate's
        admit round trip (`lockgate.gate.ratelimit.pending`), when the limiter allows it."""
        self.app = app
        self.deferred = frozenset(deferred)
        self.limiter_of: LimiterOf = (
            (lambda _scope: limiter) if isinstance(limiter, HttpRateLimiter) else limiter
        )
        self.prefixes = tuple(prefixes)

    def _limited(self, path: str) -> bool:
        return any(path.startswith(p) or path == p.rstrip("/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        limiter = state[LIMITER_STATE] = self.limiter_of(scope)
        if not self._limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.deferred and scope["method"] == "POST":
            hit = limiter.pending(HTTPConnection(scope))
            if hit is not None:
                await self._deferred(hit, state, scope, receive, send)
                return
        try:
            _merge_headers(state, await limiter.check(HTTPConnection(scope)))
        except AppError as exc:
            response = error_response(
                exc.status, exc.code, exc.message, exc.headers, path=scope["path"]
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            headers = state.get(HEADERS_STATE)
            if message["type"] == "http.response.start" and headers is not None:
                raw = message.setdefault("headers", [])
                if not any(k.lower() == b"ratelimit-limit" for k, _ in raw):
                    raw.extend(headers.raw())
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _deferred(
        self, hit: PendingHit, state: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the app with the global limit not counted yet: the gate's admit counts it in
        its round trip; if the response starts first (the request ended before any other
        Redis step), it is counted then, and a refusal replaces the response with the 429 the
        middleware would have sent before the app ran."""
        state[PENDING_STATE] = hit
        hit.on_counted = lambda headers: _merge_headers(state, headers)
        replaced = False

        async def send_after_hit(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the app's own response, replaced by the refusal
            if message["type"] == "http.response.start":
                if not hit.done:
                    try:
                        await hit.count()
                    except AppError as exc:
                        replaced = True
                        response = error_response(
                            exc.status, exc.code, exc.message, exc.headers, path=scope["path"]
                        )
                        await response(scope, receive, send)
                        return
                headers = state.get(HEADERS_STATE)
                if headers is not None:
                    raw = message.setdefault("headers", [])
                    if not any(k.lower() == b"ratelimit-limit" for k, _ in raw):
                        raw.extend(headers.raw())
            await send(message)

        try:
            await self.app(scope, receive, send_after_hit)
        finally:
            if not hit.done:  # ended with no response (the client left): it still counts
                with contextlib.suppress(AppError):
                    await hit.count()


def endpoint_limit(
    scope: str, *, by: KeyBy = "client"
) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A FastAPI dependency counting the request against ``scope``'s limit (after the global one).

    ``by="ip"`` for unauthenticated endpoints (sign-in), where a made-up cookie or token must not
    buy a fresh bucket. Declared after ``CurrentUser`` in a signature, it keys on ``user:<id>``::

        @router.post("/images", dependencies=[Depends(endpoint_limit("images"))])
    """

    async def enforce_endpoint_limit(request: Request) -> None:
        state: dict[str, Any] = request.scope.setdefault("state", {})
        limiter = state.get(LIMITER_STATE)
        if not isinstance(limiter, HttpRateLimiter):
            raise RuntimeError("endpoint_limit needs RateLimitMiddleware installed on the app")
        _merge_headers(state, await limiter.check(request, scope, by=by))

    return enforce_endpoint_limit
