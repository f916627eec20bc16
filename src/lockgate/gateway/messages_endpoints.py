"""HTTP only: Anthropic's Messages API at ``/v1/messages`` (and ``/v1/messages/count_tokens``).

For clients built on Anthropic's SDKs (``ANTHROPIC_BASE_URL=https://lockgate.example``): the key
comes as ``x-api-key`` or ``Authorization: Bearer``; ``anthropic-version`` is accepted whatever
its value, and ``anthropic-beta`` is not forwarded (a beta can change what a call costs, e.g.
1M-token context bills double, or what it returns, which neither the budget nor the translation
can vouch for; an operator can send one to an Anthropic upstream with its ``extra_headers``).
Errors have Anthropic's shape (error_handlers.anthropic_error).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from lockgate.cache.policy import Controls
from lockgate.gateway.deps import gateway_service
from lockgate.gateway.endpoints import CACHE_HEADERS, CACHE_PARAMETERS
from lockgate.gateway.messages_schemas import CountTokensRequest, MessagesRequest, TokenCount
from lockgate.gateway.messages_service import MessagesService
from lockgate.gateway.messages_wire import parse_messages
from lockgate.gateway.schemas import json_body
from lockgate.gateway.wire import parse_json
from lockgate.openapi import GATEWAY_DESCRIPTIONS, sse_response

router = APIRouter(prefix="/v1", tags=["gateway"])
TOKEN_COUNT_HEADER = "Lockgate-Token-Count"
MODEL_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": GATEWAY_DESCRIPTIONS[status]} for status in (403, 404, 502)
}
MESSAGE_EVENTS = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
]


@router.post(
    "/messages",
    operation_id="createMessage",
    openapi_extra={**json_body(MessagesRequest), "parameters": CACHE_PARAMETERS},
    responses={
        200: {
            "description": "A message; with stream: true, the Messages API's events",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                **sse_response("", MESSAGE_EVENTS)[200]["content"],
            },
            "headers": CACHE_HEADERS,
        },
        **MODEL_ERRORS,
    },
)
async def create_message(request: Request) -> Response:
    """Anthropic's Messages API, streamed (``stream: true``) or not."""
    gateway = await gateway_service(request)
    service = MessagesService(gateway)
    raw = await request.body()
    call = parse_messages(parse_json(raw), len(raw), service.image_limits)
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
    reply = await service.complete(call, controls)
    return Response(
        orjson.dumps(reply), media_type="application/json", headers=gateway.cache_headers
    )


@router.post(
    "/messages/count_tokens",
    operation_id="countMessageTokens",
    openapi_extra=json_body(CountTokensRequest),
    responses={
        200: {
            "model": TokenCount,
            "description": (
                f"The prompt's input tokens. {TOKEN_COUNT_HEADER}: upstream (the model's "
                "Anthropic upstream counted them) or estimate (any other provider)"
            ),
            "headers": {TOKEN_COUNT_HEADER: {"schema": {"enum": ["upstream", "estimate"]}}},
        },
        **MODEL_ERRORS,
    },
)
async def count_tokens(request: Request) -> Response:
    service = MessagesService(await gateway_service(request))
    raw = await request.body()
    call = parse_messages(parse_json(raw), len(raw), service.image_limits, count_only=True)
    counted, source = await service.count_tokens(call)
    return Response(
        orjson.dumps({"input_tokens": counted}),
        media_type="application/json",
        headers={TOKEN_COUNT_HEADER: source},
    )
