"""A user's folders for conversations (``conversations.folder_id``; deleting one unfiles them)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, TimestampMixin


class Folder(IdMixin, TimestampMixin, Base):
    __tablename__ = "folders"
    # The service refuses names equal but for case; this is the backstop against a race.
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
