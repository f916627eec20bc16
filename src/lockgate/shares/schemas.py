"""Share bodies. The public one carries no account data: no email, no ids, no costs."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lockgate.models import MessageRole


class ShareOut(BaseModel):
    """One of the owner's links. The token is not stored (only its hash): it is shown once."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    title: str = Field(description="The conversation's title when it was shared")
    message_count: int
    created_at: datetime


class ShareCreated(ShareOut):
    token: str = Field(
        description="The secret of the link (/share#<token>); returned only now, never again"
    )


class SharePage(BaseModel):
    items: list[ShareOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page")


class PublicMessage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: MessageRole
    content: str
    model: str | None
    created_at: datetime


class PublicShare(BaseModel):
    """What anyone with the link sees: the snapshot, nothing about its owner."""

    title: str
    shared_at: datetime
    messages: list[PublicMessage]
