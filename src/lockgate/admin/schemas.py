"""Admin console bodies: users, their limit overrides, invites."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from lockgate.auth.schemas import CanonicalEmail
from lockgate.inputs import StrictInt, Usd


class AdminLimitsIn(BaseModel):
    """A user's overrides; a null field keeps the default from ``lockgate.yaml``."""

    model_config = ConfigDict(extra="forbid")

    daily_budget_usd: Usd | None = None
    monthly_budget_usd: Usd | None = None
    rpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    tpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000_000)


class AdminLimitsOut(BaseModel):
    daily_budget_usd: Decimal | None
    monthly_budget_usd: Decimal | None
    rpm: int | None
    tpm: int | None


class UserLimitsOut(BaseModel):
    """``override``: what an admin set (null fields: default); ``effective``: what the gate
    applies; ``defaults``: ``lockgate.yaml``'s."""

    override: AdminLimitsOut | None
    effective: AdminLimitsOut
    defaults: AdminLimitsOut


class AdminUserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    has_override: bool = False


class AdminUserPage(BaseModel):
    items: list[AdminUserOut]
    next_cursor: str | None


class AdminUserDetail(AdminUserOut):
    limits: UserLimitsOut
    active_keys: int
    active_sessions: int


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Annotated[str, Field(pattern="^(admin|user)$")]


class AdminInviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: CanonicalEmail | None = Field(
        default=None, max_length=320, description="Only this address may use the invite"
    )
    expires_in_hours: StrictInt = Field(default=72, ge=1, le=24 * 30)


class AdminInviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    created_at: datetime
    expires_at: datetime


class AdminInviteCreated(AdminInviteOut):
    """The only time the code is shown: ``path`` is the registration link to send."""

    code: str
    path: str
