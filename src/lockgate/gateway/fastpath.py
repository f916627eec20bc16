"""The ``/v1`` POST endpoints served without FastAPI's router and dependency machinery.

Measured on the 2-core bench machine, a bare FastAPI app costs ~0.23 ms of CPU for a trivial
request (raw ASGI under uvicorn: ~0.05 ms): the route matching, dependency solving and FastAPI's
own middleware layers cost more than everything else a proxied ``/v1`` call does. The gateway's
endpoints take nothing from FastAPI but the `Request` (they resolve the key themselves), so
`LockgateApp` hands them their requests through a second stack built exactly like Starlette's
(`ServerErrorMiddleware` → the app's own middlewares — logs, metrics, security headers, CORS,
rate limits, body limit — → `ExceptionMiddleware` with the app's exception handlers) around a
dispatcher for those few paths instead of the router. Errors keep OpenAI's shape,
``scope["route"]`` is the documented route so metrics and logs label it as usual, and the routes
stay registered with FastAPI for the OpenAPI document and for every other method (a GET gets
FastAPI's 405).

With tracing on, the fast path is off: OpenTelemetry's FastAPI instrumentation wraps FastAPI's
own stack, and every request must get its server span.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import request_response
from starlette.types import ASGIApp, Receive, Scope, Send


class NotFastPathable(RuntimeError):
    """A ``/v1`` POST route declares something only FastAPI's router would give it."""


def gateway_routes(routes: list[Any], prefix: str = "/v1/") -> list[APIRoute]:
    """The POST routes under `prefix`; each must take only the request.

    A route declaring a dependency or a parameter would be called without it here, so it is
    refused when the app is built (the test suite builds it) instead of silently served by
    FastAPI's slower path or, worse, run without its dependency.
    """
    out = []
    for route in routes:
        if not isinstance(route, APIRoute) or not route.path.startswith(prefix):
            continue
        if not route.methods or "POST" not in route.methods:
            continue
        dependant = route.dependant
        params = dependant.path_params + dependant.query_params + dependant.body_params
        if params or dependant.dependencies:
            names = sorted(
                {p.name for p in params} | {d.name or "?" for d in dependant.dependencies}
            )
            raise NotFastPathable(
                f"POST {route.path} declares {', '.join(names)}: /v1 POST endpoints take only the "
                "Request (read the body, headers and path yourself; see gateway/endpoints.py), "
                "because gateway/fastpath.py serves them without FastAPI's dependency solving."
            )
        out.append(route)
    return out


class _Dispatch:
    """The innermost app of the fast stack: path → the endpoint, as Starlette would call it."""

    def __init__(self, routes: list[APIRoute]) -> None:
        self._handlers = {route.path: (route, request_response(route.endpoint)) for route in routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route, handler = self._handlers[scope["path"]]
        scope["route"] = route
        await handler(scope, receive, send)


class LockgateApp(FastAPI):
    """FastAPI, plus the fast path for the routes given to `serve_fast`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fast_routes: list[APIRoute] = []
        self._fast_paths: frozenset[str] = frozenset()
        self._fast_stack: ASGIApp | None = None

    def serve_fast(self, routes: list[APIRoute]) -> None:
        """Serve these POST routes through the fast stack (call before the app starts)."""
        self._fast_routes = routes
        self._fast_paths = frozenset(route.path for route in routes)

    @property
    def fast_paths(self) -> frozenset[str]:
        return self._fast_paths

    def _build_fast_stack(self) -> ASGIApp:
        error_handler = None
        handlers: dict[Any, Any] = {}
        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                handlers[key] = value
        middleware = [
            Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug),
            *self.user_middleware,
            Middleware(ExceptionMiddleware, handlers=handlers, debug=self.debug),
        ]
        app: ASGIApp = _Dispatch(self._fast_routes)
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] in self._fast_paths
            and scope["method"] == "POST"
        ):
            scope["app"] = self
            if self._fast_stack is None:
                self._fast_stack = self._build_fast_stack()
            await self._fast_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
