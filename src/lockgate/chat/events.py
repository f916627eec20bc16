"""The chat stream's events, typed once: the server serialises them, OpenAPI publishes them, and
the web UI's client is generated from them.

A reply (``POST .../messages``, ``POST .../regenerate``, ``GET .../stream``) is a sequence of
Server-Sent Events, each ``event: <name>\\ndata: <json>\\n\\n``::

    message   the rows: assistant reply (and, live, the user message, title, cost bound)
    fallback  0..n: the primary candidate failed before its first token; another one answers
    delta     0..n: text appended to the reply
    usage     0..1: tokens, cost, latency, who answered
    done | error   the last event, with the saved final message

Why models rather than dicts: the event names and fields were written by hand on both sides
(server dicts, a TypeScript parser) and drifted — the UI never learnt ``fallback``. Each event is
one model whose ``event`` literal is the discriminator of :data:`ChatEvent`; :func:`encode` is the
only way an event reaches the wire, so what is published is what is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from lockgate.conversations.schemas import MessageOut
from lockgate.models import Message, MessageStatus

SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
}

# Every field is always sent (nulls included), so the published schema requires every field.
_SENT = ConfigDict(json_schema_serialization_defaults_required=True)


class ChatMessageData(BaseModel):
    """First event. Live: both rows, the title and the reserved upper bound; a replay of a
    stored reply knows only the assistant row (the others are null)."""

    model_config = _SENT

    conversation_id: str
    conversation_title: str | None = None
    user_message: MessageOut | None = None
    assistant_message: MessageOut
    max_cost_usd: Decimal | None = None


class ChatDeltaData(BaseModel):
    model_config = _SENT

    text: str


class ChatUsageData(BaseModel):
    """What the answering attempt used. A replay knows only what the row stored (the rest is
    null); ``cost_exact`` is false when the provider reported no usage and tokens were
    estimated. ``cached``: the reply came from the response cache (cost 0; ``saved_usd`` is
    what the answer had cost when it was paid for)."""

    model_config = _SENT

    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    cost_exact: bool | None = None
    first_token_ms: int | None = None
    latency_ms: int | None
    provider: str | None = None
    model: str | None = None
    cached: bool = False
    saved_usd: Decimal | None = None


class ChatFallbackData(BaseModel):
    """The candidate ``from_*`` failed before its first token (``reason`` is the error code);
    the reply continues on ``to_*``."""

    model_config = _SENT

    from_provider: str
    from_model: str
    to_provider: str
    to_model: str
    reason: str


class ChatDoneData(BaseModel):
    model_config = _SENT

    status: MessageStatus
    final: MessageOut | None


class ChatErrorData(BaseModel):
    """The reply ended on an error; ``final`` is the saved row (null if it could not be)."""

    model_config = _SENT

    code: str
    message: str
    status: MessageStatus
    final: MessageOut | None


class ChatMessageEvent(BaseModel):
    model_config = _SENT

    event: Literal["message"] = "message"
    data: ChatMessageData


class ChatDeltaEvent(BaseModel):
    model_config = _SENT

    event: Literal["delta"] = "delta"
    data: ChatDeltaData


class ChatUsageEvent(BaseModel):
    model_config = _SENT

    event: Literal["usage"] = "usage"
    data: ChatUsageData


class ChatFallbackEvent(BaseModel):
    model_config = _SENT

    event: Literal["fallback"] = "fallback"
    data: ChatFallbackData


class ChatDoneEvent(BaseModel):
    model_config = _SENT

    event: Literal["done"] = "done"
    data: ChatDoneData


class ChatErrorEvent(BaseModel):
    model_config = _SENT

    event: Literal["error"] = "error"
    data: ChatErrorData


ChatEvent = Annotated[
    ChatMessageEvent
    | ChatFallbackEvent
    | ChatDeltaEvent
    | ChatUsageEvent
    | ChatDoneEvent
    | ChatErrorEvent,
    Field(discriminator="event"),
]
CHAT_EVENT: TypeAdapter[ChatEvent] = TypeAdapter(ChatEvent)


def replay(message: Message) -> Iterator[ChatEvent]:
    """The stored reply as the same event sequence a live one produces."""
    out = MessageOut.model_validate(message)
    first = ChatMessageData(conversation_id=str(out.conversation_id), assistant_message=out)
    yield ChatMessageEvent(data=first)
    if message.content:
        yield ChatDeltaEvent(data=ChatDeltaData(text=message.content))
    if message.input_tokens is not None or message.output_tokens is not None:
        usage = ChatUsageData(
            input_tokens=message.input_tokens,
            output_tokens=message.output_tokens,
            cost_usd=out.cost_usd,
            latency_ms=message.latency_ms,
            cached=message.cached,
        )
        yield ChatUsageEvent(data=usage)
    if message.status == MessageStatus.STREAMING:
        error = ChatErrorData(
            code="not_live",
            message="This reply is not being generated by this server any more.",
            status=message.status,
            final=out,
        )
        yield ChatErrorEvent(data=error)
    elif message.error_code:
        error = ChatErrorData(
            code=message.error_code,
            message=message.error_message or "The reply failed.",
            status=message.status,
            final=out,
        )
        yield ChatErrorEvent(data=error)
    else:
        yield ChatDoneEvent(data=ChatDoneData(status=message.status, final=out))


def encode(event: ChatEvent) -> bytes:
    """One event as SSE: its name, then its data as one JSON document."""
    return (
        b"event: "
        + event.event.encode()
        + b"\ndata: "
        + event.data.model_dump_json().encode()
        + b"\n\n"
    )
