"""Spend report bodies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer

Money = Annotated[
    Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json")
]
"""An amount as plain decimal text in JSON (``0.00000000``, never ``0E-8``)."""


class SpendRow(BaseModel):
    key: str = Field(description="The group's id: user id, key id, 'model|provider', provider, day")
    label: str = Field(description="The group as people read it (email, key name, model, day)")
    user_email: str | None = Field(default=None, description="The owner (by user and by key)")
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: Money
    saved_usd: Money = Field(description="What answers served from the cache had cost")
    share: float = Field(description="This group's part of the period's cost, 0..1")


class SpendReport(BaseModel):
    """Spend over ``[start, end]`` (UTC days, inclusive) by one dimension, largest first."""

    start: dt.date
    end: dt.date
    by: str
    rows: list[SpendRow]
    groups: int = Field(description="How many groups the period has (rows holds the top ones)")
    total_cost_usd: Money
    total_saved_usd: Money
    total_requests: int
