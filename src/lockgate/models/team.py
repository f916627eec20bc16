"""Teams, their members, and the budgets and limits set at run time.

A user belongs to at most one team (``team_members.user_id`` is the primary key); an API key is
in its owner's team unless it names one (``api_keys.team_id``). A team's budgets and rpm/tpm are
one more scope in the gate. Provider and user overrides of the YAML's budgets and limits live in
their own tables; a ``NULL`` column there means "the YAML default".
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, TimestampMixin, utcnow


class TeamRole(enum.StrEnum):
    MEMBER = "member"
    ADMIN = "admin"
    """A team admin manages the team's members and their keys, not the team's budgets."""


class Team(IdMixin, TimestampMixin, Base):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    daily_budget_usd: Mapped[Decimal | None]
    monthly_budget_usd: Mapped[Decimal | None]
    rpm: Mapped[int | None]
    tpm: Mapped[int | None]


class TeamMember(Base):
    __tablename__ = "team_members"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[TeamRole] = mapped_column(
        Enum(
            TeamRole,
            name="team_role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=TeamRole.MEMBER,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderLimits(Base):
    """A provider's budgets and rpm/tpm set at run time (over ``gate.budgets.providers`` and
    ``gate.providers`` in the YAML)."""

    __tablename__ = "provider_limits"

    provider: Mapped[str] = mapped_column(String(100), primary_key=True)
    daily_budget_usd: Mapped[Decimal | None]
    monthly_budget_usd: Mapped[Decimal | None]
    rpm: Mapped[int | None]
    tpm: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserLimits(Base):
    """A user's budgets set at run time (over ``gate.budgets.users``) and their own rpm/tpm."""

    __tablename__ = "user_limits"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    daily_budget_usd: Mapped[Decimal | None]
    monthly_budget_usd: Mapped[Decimal | None]
    rpm: Mapped[int | None]
    tpm: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
