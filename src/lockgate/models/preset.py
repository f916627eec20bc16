"""A user's named set of conversation parameters, applied to a conversation in one step."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, TimestampMixin


class Preset(IdMixin, TimestampMixin, Base):
    __tablename__ = "presets"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # None: applying the preset keeps the conversation's model.
    model: Mapped[str | None] = mapped_column(String(200))
    temperature: Mapped[float | None]
    max_tokens: Mapped[int | None]
    system_prompt: Mapped[str] = mapped_column(Text, default="")
