"""HTTP only: the OpenAI-compatible ``/v1`` API (chat completions, embeddings, images, models).

Errors under ``/v1`` use OpenAI's shape and statuses, so the official SDKs raise their usual
exceptions (``AuthenticationError``, ``PermissionDeniedError``, ``RateLimitError``, …).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from lockgate.cache.policy import SIMILARITY_HEADER, STATUS_HEADER, THRESHOLD_HEADER, Controls
from lockgate.deps import StateDep
from lockgate.gateway import oneshot, wire
from lockgate.gateway.auth import CurrentKey
from lockgate.gateway.deps import gateway_service
from lockgate.gateway.schemas import (
    ChatCompletionRequest,
    EmbeddingRequest,
    ImageRequest,
    json_body,
)
from lockgate.openapi import GATEWAY_DESCRIPTIONS, sse_response
from lockgate.providers.pricing import price_for

router = APIRouter(prefix="/v1", tags=["gateway"])
# 403 model_not_allowed (the key's allowed_models), 404 model_not_found, 502 the provider failed
MODEL_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": GATEWAY_DESCRIPTIONS[status]} for status in (403, 404, 502)
}
JSON_OR_EVENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A chat.completion; with stream: true, chat.completion.chunk events",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            **sse_response("", [])[200]["content"],
        },
    }
}


DEFERRED_LIMIT_PATHS = ("/v1/chat/completions",)
"""Paths whose global HTTP limit the gateway counts in the gate's admit round trip (on Redis;
`lockgate.gate.ratelimit.pending`): `GatewayService` counts it before any other Redis step."""


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


# The response cache's controls and report (lockgate.cache.policy), declared in OpenAPI only:
# a declared FastAPI parameter would take the route off the fast path (gateway/fastpath.py).
CACHE_PARAMETERS = [
    {
        "name": "Cache-Control",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "no-cache: do not answer from the response cache; no-store: do not "
        "store this answer",
    },
    {
        "name": THRESHOLD_HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "number", "minimum": 0, "maximum": 1},
        "description": "A stricter similarity for a semantic hit (a looser one is raised to "
        "the configured threshold)",
    },
]
CACHE_HEADERS = {
    STATUS_HEADER: {
        "description": "hit, miss or bypass (absent when the cache is off)",
        "schema": {"type": "string", "enum": ["hit", "miss", "bypass"]},
    },
    SIMILARITY_HEADER: {
        "description": "The cosine similarity of a semantic hit",
        "schema": {"type": "number"},
    },
}


@router.post(
    "/chat/completions",
    operation_id="createChatCompletion",
    openapi_extra={**json_body(ChatCompletionRequest), "parameters": CACHE_PARAMETERS},
    responses={200: {**JSON_OR_EVENTS[200], "headers": CACHE_HEADERS}, **MODEL_ERRORS},
)
async def chat_completions(request: Request) -> Response:
    """OpenAI's chat completions, streamed (``stream: true``) or not."""
    service = await gateway_service(request)
    raw = await request.body()
    call = wire.parse_chat(wire.parse_json(raw), len(raw), service.image_limits)
    controls = Controls.from_headers(request.headers) if service.cache else Controls()
    if call.stream:
        events = await service.stream(call, controls)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
                **service.cache_headers,
            },
        )
    response = _json(await service.complete(call, controls))
    response.headers.update(service.cache_headers)
    return response


@router.post(
    "/embeddings",
    operation_id="createEmbedding",
    openapi_extra=json_body(EmbeddingRequest),
    responses=MODEL_ERRORS,
)
async def embeddings(request: Request) -> Response:
    service = await gateway_service(request)
    return _json(await oneshot.embed(service, wire.parse_json(await request.body())))


@router.post(
    "/images/generations",
    operation_id="createImage",
    openapi_extra=json_body(ImageRequest),
    responses=MODEL_ERRORS,
)
async def images(request: Request) -> Response:
    service = await gateway_service(request)
    return _json(await oneshot.images(service, wire.parse_json(await request.body())))


@router.get("/models", operation_id="listGatewayModels")
async def models(key: CurrentKey, state: StateDep) -> Response:
    allowed = key.key.allowed_models
    data = []
    for name, model in state.config.file.models.items():
        if allowed is not None and name not in allowed:
            continue
        price = price_for(model.upstream_name(name), model.price)
        data.append(
            {
                "id": name,
                "object": "model",
                "created": 0,
                "owned_by": model.provider,
                "lockgate": {
                    "kind": model.kind,
                    "context_window": model.context_window,
                    "vision": model.vision,
                    "input_per_mtok": str(price.input_per_mtok),
                    "output_per_mtok": str(price.output_per_mtok),
                },
            }
        )
    return _json({"object": "list", "data": data})
