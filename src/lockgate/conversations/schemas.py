"""Conversation and message bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from lockgate.inputs import StrictInt, StrictNumber
from lockgate.models import MessageRole, MessageStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Only a bound on the body here: the limit a person meets (system_prompt_too_long, 20,000
# characters and the model's window) is checked by conversations/parameters.py. This one keeps
# the longest accepted prompt, JSON-escaped at 12 bytes a character, under the 1 MiB body limit.
SystemPrompt = Annotated[str, StringConstraints(max_length=80_000)]
ModelName = Annotated[str, StringConstraints(max_length=200)]
# Range checked by conversations/parameters.py (temperature_out_of_range).
Temperature = StrictNumber
MaxTokens = Annotated[StrictInt, Field(ge=1, le=10_000_000)]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    system_prompt: SystemPrompt = ""
    folder_id: uuid.UUID | None = None
    model: ModelName | None = Field(default=None, description="None: the server's default")
    temperature: Temperature | None = Field(default=None, description="0..2; None: default")
    max_tokens: MaxTokens | None = Field(default=None, description="None: the server's default")


class ConversationUpdate(BaseModel):
    """Omitted fields are left as they are; ``null`` resets ``folder_id`` (out of any folder)
    and the parameters ``model``, ``temperature``, ``max_tokens`` (to the server's default).

    Organising (``folder_id``, ``pinned``, ``archived``) keeps ``updated_at``: the list's order
    is activity, and filing a conversation away is not activity."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    system_prompt: SystemPrompt | None = None
    folder_id: uuid.UUID | None = None
    pinned: StrictBool | None = None
    archived: StrictBool | None = None
    model: ModelName | None = None
    temperature: Temperature | None = None
    max_tokens: MaxTokens | None = None


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    system_prompt: str
    created_at: datetime
    updated_at: datetime
    folder_id: uuid.UUID | None = None
    pinned: bool = False
    archived_at: datetime | None = None
    model: str | None = Field(default=None, description="None: the server's default model")
    temperature: float | None = None
    max_tokens: int | None = None


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
