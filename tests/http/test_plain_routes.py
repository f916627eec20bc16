"""An operation served as a plain route must need nothing from FastAPI's dependency solving:
anything it declares that only FastAPI would honour fails when the app is built, not silently."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from lockgate.http.plain_routes import NotPlain, PlainRoute, plain_routes


async def caller(request: Request) -> str:
    return request.client.host if request.client else ""


class Out(BaseModel):
    ok: bool


def test_an_operation_taking_only_the_request_becomes_a_plain_route() -> None:
    router = APIRouter(prefix="/v1")

    @router.post("/things", operation_id="createThing")
    async def things(request: Request) -> Response:
        return Response()

    [route] = plain_routes(router)
    assert isinstance(route, PlainRoute)
    assert (route.path, route.methods, route.endpoint) == ("/v1/things", {"POST"}, things)


def test_a_dependency_is_refused() -> None:
    router = APIRouter(prefix="/v1")

    @router.post("/things")
    async def things(request: Request, who: Annotated[str, Depends(caller)]) -> Response:
        return Response()

    with pytest.raises(NotPlain, match=r"/v1/things .*dependencies"):
        plain_routes(router)


def test_a_router_dependency_is_refused() -> None:
    router = APIRouter(prefix="/v1", dependencies=[Depends(caller)])

    @router.post("/things")
    async def things(request: Request) -> Response:
        return Response()

    with pytest.raises(NotPlain, match="dependencies"):
        plain_routes(router)


def test_a_parameter_or_a_parsed_body_is_refused() -> None:
    router = APIRouter(prefix="/v1")

    @router.post("/things")
    async def things(request: Request, limit: int = 10) -> Response:
        return Response()

    with pytest.raises(NotPlain, match="not only the request"):
        plain_routes(router)

    parsed = APIRouter(prefix="/v1")

    @parsed.post("/things")
    async def body(payload: Out) -> Response:
        return Response()

    with pytest.raises(NotPlain, match="not only the request"):
        plain_routes(parsed)


def test_a_response_model_is_refused() -> None:
    router = APIRouter(prefix="/v1")

    @router.post("/things", response_model=Out)
    async def things(request: Request) -> Response:
        return Response()

    with pytest.raises(NotPlain, match="response model"):
        plain_routes(router)
