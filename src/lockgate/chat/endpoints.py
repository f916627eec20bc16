"""HTTP only: chat messages (SSE), stop, re-attach, regenerate, and the model list."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from lockgate.auth.deps import CurrentUser
from lockgate.chat.events import SSE_HEADERS, ChatEvent, encode, replay
from lockgate.chat.schemas import ModelList, ModelOut, PriceOut, RegenerateIn, SendMessageIn
from lockgate.chat.service import ChatService
from lockgate.conversations.schemas import MessageOut
from lockgate.deps import SessionDep, StateDep
from lockgate.http.ratelimit import endpoint_limit
from lockgate.models import Message, MessageStatus
from lockgate.openapi import error_responses, sse_response
from lockgate.providers.pricing import price_for

router = APIRouter(prefix="/api/v1", tags=["chat"])

SSE_RESPONSE = sse_response(
    "Server-Sent Events: message, then fallback and delta, usage, and done or error",
    ChatEvent,
)


async def get_service(state: StateDep, db: SessionDep) -> ChatService:
    return ChatService(
        db,
        file=state.config.file,
        providers=state.providers,
        gate=state.gate,
        clock=state.clock,
        manager=state.chat,
        sessionmaker=state.sessionmaker,
        cache=state.cache,
    )


ServiceDep = Annotated[ChatService, Depends(get_service)]
# After CurrentUser in a signature, so the limit is keyed on the user, not the cookie.
ChatLimit = Annotated[None, Depends(endpoint_limit("chat"))]


def _stream(events: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)


@router.post(
    "/conversations/{conversation_id}/messages",
    operation_id="sendMessage",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **error_responses(401, 403, 404, 422, 429)},
)
async def send_message(
    conversation_id: uuid.UUID,
    body: SendMessageIn,
    user: CurrentUser,
    service: ServiceDep,
    _limit: ChatLimit,
) -> StreamingResponse:
    """Send a message; the reply streams back as SSE and is saved as it grows.

    Disconnecting does not stop the reply: re-attach with ``GET /messages/{id}/stream``.
    """
    generation = await service.send(user, conversation_id, body)
    return _stream(generation.listen())


@router.get(
    "/messages/{message_id}/stream",
    operation_id="streamMessage",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **error_responses(401, 404)},
)
async def stream_message(
    message_id: uuid.UUID, user: CurrentUser, service: ServiceDep, state: StateDep
) -> StreamingResponse:
    """Re-attach to a reply: everything so far, then the live tail (or the finished reply)."""
    message = await service.owned_message(message_id, user)
    generation = state.chat.get(message.id)
    if generation is not None:
        return _stream(generation.listen())
    return _stream(_replay(message))


async def _replay(message: Message) -> AsyncIterator[bytes]:
    for event in replay(message):
        yield encode(event)


@router.post(
    "/messages/{message_id}/stop",
    operation_id="stopMessage",
    responses=error_responses(401, 403, 404),
)
async def stop_message(
    message_id: uuid.UUID, user: CurrentUser, service: ServiceDep, state: StateDep
) -> MessageOut:
    """Stop a reply: generation is cancelled, the text so far is kept (status ``cancelled``)."""
    message = await service.owned_message(message_id, user)
    # End our read transaction first: the reply saves its final state while we wait for it,
    # and on SQLite an open transaction here would hold the write lock it needs.
    await service.db.commit()
    stopped = await state.chat.stop(message.id)
    if not stopped and message.status == MessageStatus.STREAMING:
        # Nobody is generating it any more (the process died): close it as cancelled.
        message.status = MessageStatus.CANCELLED
        message.finished_at = state.clock()
        await service.db.commit()
    await service.db.refresh(message)
    return MessageOut.model_validate(message)


@router.post(
    "/messages/{message_id}/regenerate",
    operation_id="regenerateMessage",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **error_responses(401, 403, 404, 409, 422, 429)},
)
async def regenerate_message(
    message_id: uuid.UUID,
    user: CurrentUser,
    service: ServiceDep,
    _limit: ChatLimit,
    body: RegenerateIn | None = None,
) -> StreamingResponse:
    """A new sibling answer to the same user message (the old one is kept)."""
    generation = await service.regenerate(user, message_id, body or RegenerateIn())
    return _stream(generation.listen())


@router.get("/models", operation_id="listModels", responses=error_responses(401))
async def list_models(_user: CurrentUser, state: StateDep) -> ModelList:
    """Configured models with their provider, prices and limits."""
    file = state.config.file
    default = file.effective_default_model
    items = []
    for name, model in file.models.items():
        provider = file.providers[model.provider]
        price = price_for(model.upstream_name(name), model.price)
        simulated = provider.type == "simulated"
        items.append(
            ModelOut(
                id=name,
                label=(model.label or name) + (" (simulated)" if simulated else ""),
                kind=model.kind,
                provider=model.provider,
                provider_type=provider.type,
                simulated=simulated,
                context_window=model.context_window,
                max_output_tokens=model.max_output_tokens,
                image_sizes=model.image_sizes if model.kind == "image" else [],
                price=PriceOut(
                    input_per_mtok=price.input_per_mtok,
                    output_per_mtok=price.output_per_mtok,
                    per_image=price.per_image,
                ),
                default=name == default,
            )
        )
    return ModelList(items=items)
