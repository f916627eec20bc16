"""Attachment I/O."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field


class AttachmentOut(BaseModel):
    """An uploaded image; ``url`` serves it to its owner only."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    mime_type: str
    byte_size: int
    width: int
    height: int
    conversation_id: uuid.UUID | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return f"/api/v1/attachments/{self.id}/content"


class MessageAttachmentsOut(BaseModel):
    message_id: uuid.UUID
    attachments: list[AttachmentOut]


class ConversationAttachments(BaseModel):
    """The images of every message of a conversation (every branch), by message."""

    items: list[MessageAttachmentsOut] = Field(default_factory=list)
