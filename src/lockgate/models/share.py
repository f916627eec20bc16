"""Share links: a read-only snapshot of a conversation at an unguessable URL.

The snapshot is copied (one row per message, like the conversation itself): what the link shows
is what the owner saw when they shared it, whatever is added, regenerated or deleted later. Only
the token's SHA-256 is stored, so a copy of the database does not hand out working links.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, utcnow
from lockgate.models.conversation import MessageRole, _enum


class Share(IdMixin, Base):
    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_user_recent", "user_id", "created_at", "id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Deleting the conversation deletes its links: "delete" means gone, also for readers.
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    message_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareMessage(IdMixin, Base):
    __tablename__ = "share_messages"
    __table_args__ = (Index("ix_share_messages_order", "share_id", "seq", unique=True),)

    share_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"))
    seq: Mapped[int]
    role: Mapped[MessageRole] = mapped_column(_enum(MessageRole, "share_message_role"))
    content: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
