"""Operations served as plain Starlette routes, placed first in the app's own router.

Why: on the 2-core bench machine FastAPI's dependency solving and request parsing cost more than
everything else a proxied ``/v1`` call does, and the gateway's endpoints take nothing from FastAPI
but the `Request` (they resolve the key and read the body themselves). A plain
``starlette.routing.Route`` calls the endpoint with the request and nothing else, yet it sits in
the same router as every other route: the same middleware stack, exception handlers, route label
(``scope["route"]``) and tracing, with no second stack to keep in step.

The operations are still declared with FastAPI (an `APIRouter`) so the OpenAPI document keeps
their request schemas and responses exactly as before; those `APIRoute`\\ s stay behind the plain
routes, for the document only (a plain route matches its path first, for every method: a wrong
method gets its 405). Anything FastAPI would have to solve for such an operation (a dependency,
a parameter, a parsed body, a response model) would be silently dropped by the plain route, so
:func:`plain_routes` refuses it when the app is built.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match, Route
from starlette.types import Scope


class NotPlain(TypeError):
    """A programming error caught at start-up: an operation meant to be served as a plain route
    declares something only FastAPI's routing would honour."""


class PlainRoute(Route):
    """A Starlette route that names itself in ``scope["route"]``, as FastAPI's routes do: FastAPI's
    router (unlike Starlette's) records only its own routes there, and the request log and the
    HTTP metrics label requests by it."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def _check(route: APIRoute) -> None:
    methods = sorted(route.methods or ())
    dependant = route.dependant
    request = dependant.request_param_name
    parameters = list(inspect.signature(route.endpoint).parameters)
    problems = []
    if request is None or parameters != [request]:
        problems.append(f"takes {parameters}, not only the request")
    if dependant.dependencies:
        problems.append("declares dependencies")
    if route.response_model is not None:
        problems.append("declares a response model")
    if problems:
        raise NotPlain(
            f"{methods} {route.path} is served as a plain route and "
            f"{', '.join(problems)}: FastAPI would not solve it"
        )


def plain_routes(router: APIRouter) -> list[PlainRoute]:
    """A plain Starlette route for each operation of `router` (same path, methods, endpoint and
    name); raises `NotPlain` for one that needs FastAPI's dependency solving."""
    out = []
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise NotPlain(f"{route!r} is not an operation")
        _check(route)
        methods = sorted(route.methods or ())
        out.append(PlainRoute(route.path, route.endpoint, methods=methods, name=route.name))
    return out
