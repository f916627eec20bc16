"""Conversation and message bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lockgate.models import MessageRole, MessageStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SystemPrompt = Annotated[str, StringConstraints(max_length=20_000)]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    system_prompt: SystemPrompt = ""


class ConversationUpdate(BaseModel):
    """Rename and/or set the system prompt; omitted fields are left as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    system_prompt: SystemPrompt | None = None


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    system_prompt: str
    created_at: datetime
    updated_at: datetime


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page")


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    parent_id: uuid.UUID | None
    seq: int
    role: MessageRole
    content: str
    status: MessageStatus
    model: str | None
    provider: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    latency_ms: int | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    cached: bool = Field(
        default=False, description="Answered from the response cache: no provider was paid"
    )
    sibling_ids: list[uuid.UUID] = Field(
        default_factory=list,
        description=(
            "The messages sharing this one's parent (edits of a user message, answers to it), "
            "itself included, oldest first: a switcher shows 'position of count'. Given with "
            "every message of a branch and of a reply's first event; empty elsewhere."
        ),
    )


class MessagePage(BaseModel):
    """The current branch's messages, oldest first; ``next_cursor`` fetches the older ones."""

    items: list[MessageOut]
    next_cursor: str | None


class ConversationDetail(ConversationOut):
    messages: MessagePage


class BranchSelect(BaseModel):
    """Show the branch through ``message_id`` (a switcher's sibling): it ends at the newest
    message under it, the leaf last worked on there."""

    model_config = ConfigDict(extra="forbid")

    message_id: uuid.UUID
