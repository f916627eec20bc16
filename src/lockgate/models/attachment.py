"""Images attached to chat messages: a file per attachment, linked to messages by a link table.

An attachment is uploaded before its message exists (the composer shows a preview while the
person types), so it starts unlinked (``conversation_id`` None). The send that uses it sets its
conversation and adds one ``message_attachments`` row per message: an edit that keeps the image
links the same file to the new sibling, and a message stays one row (no JSON list of images).
Deleting the conversation deletes its attachments' rows (``ON DELETE CASCADE``) and the endpoint
then removes their files. Files live under ``<data_dir>/attachments/``, named by the row id.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, utcnow


class Attachment(IdMixin, Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_user_time", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The name the browser gave, for display only (never a path: files are named by the id).
    name: Mapped[str] = mapped_column(String(255), default="")
    mime_type: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageAttachment(Base):
    """One image of one message, in the order it was attached."""

    __tablename__ = "message_attachments"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
