"""HTTP only: OpenAI's Responses API at ``/v1/responses``.

``POST`` takes only the request (served by the gateway's fast path, see gateway/fastpath.py);
the stored responses' ``GET``/``DELETE`` go through FastAPI as usual. A response belongs to the
API key that made it: any other key gets a 404, as for an id that never existed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from lockgate.cache.policy import Controls
from lockgate.deps import StateDep
from lockgate.gateway import wire
from lockgate.gateway.auth import CurrentKey
from lockgate.gateway.deps import gateway_service
from lockgate.gateway.endpoints import CACHE_HEADERS, CACHE_PARAMETERS, MODEL_ERRORS
from lockgate.gateway.responses.request import parse_request
from lockgate.gateway.responses.schemas import (
    ResponseCreateRequest,
    ResponseDeleted,
    ResponseInputItemList,
    ResponseObject,
)
from lockgate.gateway.responses.service import ResponsesService
from lockgate.gateway.responses.storage import ResponseStore, input_items_page
from lockgate.gateway.schemas import json_body
from lockgate.openapi import GATEWAY_DESCRIPTIONS, sse_response
from lockgate.state import state_of

router = APIRouter(prefix="/v1", tags=["gateway"])
ResponseId = Annotated[str, Path(pattern=r"^resp_[A-Za-z0-9]{1,64}$", max_length=80)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such response (or not this key's)"}
}
RESPONSE_OR_EVENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A response object; with stream: true, its typed events",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ResponseObject"}},
            **sse_response("", [])[200]["content"],
        },
    }
}
SCHEMAS = (ResponseCreateRequest, ResponseObject, ResponseInputItemList, ResponseDeleted)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


@router.post(
    "/responses",
    operation_id="createResponse",
    openapi_extra={**json_body(ResponseCreateRequest), "parameters": CACHE_PARAMETERS},
    responses={200: {**RESPONSE_OR_EVENTS[200], "headers": CACHE_HEADERS}, **MODEL_ERRORS},
)
async def create_response(request: Request) -> Response:
    """OpenAI's Responses API, streamed (``stream: true``) or not."""
    gateway = await gateway_service(request)
    call = parse_request(wire.parse_json(await request.body()))
    state = state_of(request.scope)
    store = ResponseStore(state.sessionmaker, state.config.file.responses, gateway.key.key_id)
    service = ResponsesService(gateway, store)
    controls = Controls.from_headers(request.headers) if gateway.cache else Controls()
    if call.stream:
        events = await service.stream(call, controls)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
                **gateway.cache_headers,
            },
        )
    response = _json(await service.create(call, controls))
    response.headers.update(gateway.cache_headers)
    return response


def _store(key: CurrentKey, state: StateDep) -> ResponseStore:
    return ResponseStore(state.sessionmaker, state.config.file.responses, key.key_id)


@router.get(
    "/responses/{response_id}",
    operation_id="getResponse",
    response_model=ResponseObject,
    responses={404: {**NOT_FOUND[404]}},
)
async def get_response(response_id: ResponseId, key: CurrentKey, state: StateDep) -> Response:
    row = await _store(key, state).get(response_id, state.clock())
    return _json(row.response)


@router.delete(
    "/responses/{response_id}",
    operation_id="deleteResponse",
    response_model=ResponseDeleted,
    responses={404: {**NOT_FOUND[404]}},
)
async def delete_response(response_id: ResponseId, key: CurrentKey, state: StateDep) -> Response:
    await _store(key, state).delete(response_id, state.clock())
    return _json({"id": response_id, "object": "response", "deleted": True})


@router.get(
    "/responses/{response_id}/input_items",
    operation_id="listResponseInputItems",
    response_model=ResponseInputItemList,
    responses={400: {"description": GATEWAY_DESCRIPTIONS[400]}, 404: {**NOT_FOUND[404]}},
)
async def list_input_items(
    response_id: ResponseId,
    key: CurrentKey,
    state: StateDep,
    after: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    order: Literal["asc", "desc"] = "desc",
    include: Annotated[list[str] | None, Query(alias="include[]")] = None,
) -> Response:
    """The response's own input items (not those of the responses it continues), newest first
    unless ``order=asc``. ``include`` is accepted and has no effect."""
    row = await _store(key, state).get(response_id, state.clock())
    page = input_items_page(row.input_items, after=after, before=before, limit=limit, order=order)
    return _json(page)
