"""Lockgate JSON, version 1: the export format, and the one shape every import becomes.

One document for one conversation or all of them::

    {
      "format": "lockgate.conversations",
      "version": 1,
      "exported_at": "2026-12-06T21:00:00Z",
      "conversations": [
        {
          "id": "…", "title": "Trip plans", "system_prompt": "",
          "created_at": "…", "updated_at": "…",
          "model": "sim-small",                  # the newest reply's model (informational)
          "messages": [
            {"id": "…", "parent_id": null, "role": "user", "content": "Hi", "status": "complete",
             "model": null, "provider": null, "created_at": "…", "finished_at": null,
             "input_tokens": null, "output_tokens": null, "cost_usd": null, "latency_ms": null,
             "cached": false,
             "error_code": null, "error_message": null},
            …
          ]
        }
      ]
    }

Messages are in conversation order; ``parent_id`` refers to an earlier message of the same
conversation (a reply's question; regenerated replies share one), so every branch survives a
round trip. Ids are the exporter's: an import gives every row a new id. ``cost_usd`` is a
decimal string. Unknown fields are ignored, so a later version 1 exporter may add optional ones;
anything that changes a field's meaning is version 2.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from lockgate.models import MessageRole, MessageStatus

FORMAT = "lockgate.conversations"
VERSION = 1
MAX_TITLE_CHARS = 200
MAX_SYSTEM_PROMPT_CHARS = 20_000
MAX_MESSAGE_CHARS = 1_000_000
"""One imported message at most (a chat send is capped lower, by chat.max_message_chars; an
answer can be longer than a question)."""

Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Cost = Annotated[
    Decimal,
    Field(ge=0, le=10**9, max_digits=18, decimal_places=8, allow_inf_nan=False),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
]


class ExportedImage(BaseModel):
    """An image attached to a message, described (its bytes are not exported: they stay on
    the server, owner-only; an import brings the text and leaves this out)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, Field(max_length=255)] = ""
    mime_type: Annotated[str, Field(max_length=64)]
    width: Count
    height: Count
    byte_size: Count


class ExportedMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    role: MessageRole
    content: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]
    status: MessageStatus = MessageStatus.COMPLETE
    model: Annotated[str, Field(max_length=200)] | None = None
    provider: Annotated[str, Field(max_length=100)] | None = None
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    input_tokens: Count | None = None
    output_tokens: Count | None = None
    cost_usd: Cost | None = None
    latency_ms: Count | None = None
    cached: bool = False
    error_code: Annotated[str, Field(max_length=64)] | None = None
    error_message: Annotated[str, Field(max_length=1000)] | None = None
    images: list[ExportedImage] = Field(default_factory=list, max_length=1000)


class ExportedConversation(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    title: Annotated[str, Field(max_length=MAX_TITLE_CHARS)] = ""
    system_prompt: Annotated[str, Field(max_length=MAX_SYSTEM_PROMPT_CHARS)] = ""
    created_at: AwareDatetime
    updated_at: AwareDatetime
    model: Annotated[str, Field(max_length=200)] | None = None
    messages: list[ExportedMessage]


class ExportHeader(BaseModel):
    """The document's fields before ``conversations`` (written first, read first)."""

    format: Literal["lockgate.conversations"] = "lockgate.conversations"
    version: Literal[1] = 1
    exported_at: AwareDatetime
