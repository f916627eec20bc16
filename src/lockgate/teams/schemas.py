"""Team and limits bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lockgate.inputs import StrictInt, Usd
from lockgate.models import TeamRole

TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]


class LimitsIn(BaseModel):
    """Budgets (USD per day and per calendar month) and rate limits (per minute). A field left
    out or ``null``: for a provider or a user, the YAML default applies; for a team or a key,
    there is no limit."""

    model_config = ConfigDict(extra="forbid")

    daily_usd: Usd | None = None
    monthly_usd: Usd | None = None
    rpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    tpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000_000)


class Limits(BaseModel):
    daily_usd: Decimal | None = None
    monthly_usd: Decimal | None = None
    rpm: int | None = None
    tpm: int | None = None


class Spend(BaseModel):
    """One budget window now: spent, held by calls in flight, and the limit."""

    period: str
    limit_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    resets_at: datetime


class ScopeLimitsOut(BaseModel):
    """A scope's limits: the YAML's default, the run-time override, what applies, and spend."""

    scope: str
    default: Limits
    override: Limits | None
    effective: Limits
    spend: list[Spend] | None = Field(
        description="Each budget window that applies; null when the budget store is unreachable"
    )


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TeamName
    limits: LimitsIn = Field(default_factory=LimitsIn)


class TeamRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TeamName


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: TeamRole = TeamRole.MEMBER


class MemberRole(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: TeamRole


class KeyTeam(BaseModel):
    """Which team an API key pays into; ``null``: its owner's."""

    model_config = ConfigDict(extra="forbid")

    team_id: uuid.UUID | None


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    role: TeamRole
    created_at: datetime


class TeamKeyOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    owner_email: str
    name: str
    prefix: str
    team_id: uuid.UUID | None
    daily_budget_usd: Decimal | None
    monthly_budget_usd: Decimal | None
    rpm: int | None
    tpm: int | None
    revoked_at: datetime | None


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    limits: Limits
    member_count: int
    your_role: TeamRole | None = Field(description="The caller's role in the team, if a member")
    created_at: datetime


class TeamDetail(TeamOut):
    members: list[MemberOut]
    spend: list[Spend] | None
