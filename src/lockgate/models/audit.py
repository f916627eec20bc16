"""The audit log: one row per administrative change, written in the change's own transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, utcnow


class AuditEntry(IdMixin, Base):
    """Who did what to which target, the target's state before and after, and when.

    ``actor_email`` is copied at write time so the log still reads when the actor's account is
    gone (``actor_id`` is then NULL). ``before``/``after`` are JSON snapshots of the fields the
    action changed (never a secret: key hashes and password hashes are not in them).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_time", "created_at", "id"),
        Index("ix_audit_log_actor_time", "actor_id", "created_at"),
        Index("ix_audit_log_action_time", "action", "created_at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
    )

    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    target_label: Mapped[str] = mapped_column(String(320), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
