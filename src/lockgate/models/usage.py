"""The usage ledger: one row per provider call, whatever its outcome."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, utcnow


class UsageKind(enum.StrEnum):
    CHAT = "chat"
    IMAGE = "image"
    EMBEDDING = "embedding"
    TITLE = "title"


class UsageOutcome(enum.StrEnum):
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"
    CACHE_HIT = "cache_hit"  # answered from the response cache: cost 0, saved_usd what it saved


class UsageRecord(IdMixin, Base):
    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_user_time", "user_id", "created_at"),
        Index("ix_usage_records_time", "created_at"),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[UsageKind] = mapped_column(
        Enum(
            UsageKind,
            name="usage_kind",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    provider: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    images: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # A cache hit: what the answer it replayed had cost (nothing was paid for it this time).
    saved_usd: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    # False when the provider reported no usage (e.g. a stream cut short) and we estimated.
    cost_exact: Mapped[bool] = mapped_column(default=True)
    latency_ms: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[UsageOutcome] = mapped_column(
        Enum(
            UsageOutcome,
            name="usage_outcome",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
