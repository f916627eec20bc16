"""API key bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lockgate.inputs import Instant, StrictInt, Usd

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ModelId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
KeyStatus = Literal["active", "expired", "revoked"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    daily_budget_usd: Usd | None = None
    monthly_budget_usd: Usd | None = None
    rpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    tpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000_000)
    allowed_models: list[ModelId] | None = Field(
        default=None,
        max_length=100,
        description="The models this key may call (omit for every model; never empty)",
    )
    expires_at: Instant | None = None


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    daily_budget_usd: Decimal | None
    monthly_budget_usd: Decimal | None
    rpm: int | None
    tpm: int | None
    allowed_models: list[str] | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class KeyCreated(KeyOut):
    """The only time the secret is shown: store it now."""

    key: str


class KeySpendOut(BaseModel):
    """Spend in the gate's current budget day and month (its time zone), from the usage ledger."""

    model_config = ConfigDict(from_attributes=True)

    today_usd: Decimal
    month_usd: Decimal
    daily_remaining_usd: Decimal | None = Field(description="None: the key has no daily budget")
    monthly_remaining_usd: Decimal | None = Field(description="None: the key has no monthly budget")
    day_resets_at: datetime
    month_resets_at: datetime
    timezone: str


class KeyDetail(KeyOut):
    """A key as the keys page shows it: never its secret; its status and spend."""

    status: KeyStatus
    spend: KeySpendOut
