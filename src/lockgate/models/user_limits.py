"""Per-user budget and rate-limit overrides, set by admins at run time.

A NULL field means "the default from ``lockgate.yaml``" (``gate.budgets.users`` and
``gate.user_limits``); a row with every field NULL is deleted rather than kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, utcnow


class UserLimitOverride(Base):
    __tablename__ = "user_limit_overrides"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    daily_budget_usd: Mapped[Decimal | None]
    monthly_budget_usd: Mapped[Decimal | None]
    rpm: Mapped[int | None]
    tpm: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
