"""Usage report bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel, Field

from lockgate.usage.by_key import UsageKeyRow


class UsageRow(BaseModel):
    day: dt.date
    model: str
    provider: str
    user_id: uuid.UUID | None = None
    user_email: str | None = None
    requests: int
    input_tokens: int
    output_tokens: int
    images: int
    cache_hits: int = Field(default=0, description="Requests answered from the response cache")
    cost_usd: Decimal
    saved_usd: Decimal = Field(description="What the answers served from the cache had cost")


class UsageReport(BaseModel):
    """Spend by UTC day and model over ``[start, end]`` (inclusive)."""

    start: dt.date
    end: dt.date
    scope: str  # "own" or "all"
    rows: list[UsageRow]
    total_cost_usd: Decimal
    total_requests: int
    saved_usd: Decimal = Field(description="Spend the response cache saved over the range")
    cache_hits: int = Field(default=0, description="Requests answered from the response cache")
    keys: list[UsageKeyRow] = Field(
        default_factory=list, description="Spend per API key (key_id None: the web app)"
    )
