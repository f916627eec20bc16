"""Conversations and their messages: one row per message, never one JSON blob."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, TimestampMixin


class MessageRole(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class MessageStatus(enum.StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"
    INCOMPLETE = "incomplete"
    ERROR = "error"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK on both backends, so adding a value is a plain migration.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Conversation(IdMixin, TimestampMixin, Base):
    __tablename__ = "conversations"
    # The sidebar's order (pinned first, then newest activity) and its keyset cursor, per user.
    __table_args__ = (
        Index("ix_conversations_user_pinned_recent", "user_id", "pinned", "updated_at", "id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    # Highest message seq handed out; bumped with UPDATE … RETURNING so concurrent writers on
    # PostgreSQL serialise on the row instead of racing on max(seq).
    last_seq: Mapped[int] = mapped_column(default=0)
    # The leaf of the branch shown and sent from (edits and regenerations fork the message tree).
    # No foreign key on purpose: conversations ↔ messages would be a cycle, and rebuilding
    # `conversations` on SQLite (batch ALTER) with foreign keys on would cascade-delete every
    # message. The app only stores ids of its own messages here and reads a stale one as "none"
    # (the newest message then), see `lockgate.conversations.tree`.
    current_message_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # Organising (conversations/organise.py): never changes updated_at, the activity order.
    folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("folders.id", ondelete="SET NULL"), index=True
    )
    pinned: Mapped[bool] = mapped_column(default=False, server_default=false())
    archived_at: Mapped[datetime | None]
    # Parameters of every send (conversations/parameters.py); None: the server's default.
    model: Mapped[str | None] = mapped_column(String(200))
    temperature: Mapped[float | None]
    max_tokens: Mapped[int | None]


class Message(IdMixin, TimestampMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_order", "conversation_id", "seq", unique=True),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    # Monotonic order within the conversation (timestamps can tie).
    seq: Mapped[int]
    # The message this one follows: a reply's user message, a user message's previous reply
    # (None for the first). Edits and regenerations are siblings: a tree, one row per message.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MessageRole] = mapped_column(_enum(MessageRole, "message_role"))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MessageStatus] = mapped_column(
        _enum(MessageStatus, "message_status"), default=MessageStatus.COMPLETE
    )
    model: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(100))
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cost_usd: Mapped[Decimal | None]
    latency_ms: Mapped[int | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(1000))
    finished_at: Mapped[datetime | None]
    # Answered from the response cache (nothing was paid for it); the UI shows a badge.
    cached: Mapped[bool] = mapped_column(default=False, server_default=false())
