"""Spend report bodies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field


class SpendRow(BaseModel):
    key: str = Field(description="The group's id: user id, key id, 'model|provider', provider, day")
    label: str = Field(description="The group as people read it (email, key name, model, day)")
    user_email: str | None = Field(default=None, description="The owner (by user and by key)")
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    saved_usd: Decimal = Field(description="What answers served from the cache had cost")
    share: float = Field(description="This group's part of the period's cost, 0..1")


class SpendReport(BaseModel):
    """Spend over ``[start, end]`` (UTC days, inclusive) by one dimension, largest first."""

    start: dt.date
    end: dt.date
    by: str
    rows: list[SpendRow]
    groups: int = Field(description="How many groups the period has (rows holds the top ones)")
    total_cost_usd: Decimal
    total_saved_usd: Decimal
    total_requests: int
