"""API key bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lockgate.inputs import Instant, StrictInt, Usd

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    daily_budget_usd: Usd | None = None
    monthly_budget_usd: Usd | None = None
    rpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    tpm: StrictInt | None = Field(default=None, ge=1, le=1_000_000_000)
    allowed_models: list[str] | None = Field(default=None, max_length=100)
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
