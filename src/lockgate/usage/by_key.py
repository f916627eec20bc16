"""Spend per API key over a period (the web app's own calls, which have no key, as one row).

One aggregate query: the ledger's rows of the period grouped by key, amounts summed exactly in
SQL (`db.money_sum`), the key's name and prefix joined in — never a query per key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.db.money_sum import as_usd, money_sum
from lockgate.models import ApiKey, UsageOutcome, UsageRecord, User


class UsageKeyRow(BaseModel):
    key_id: uuid.UUID | None = Field(description="None: the web app's own calls (chat, images)")
    name: str | None
    prefix: str | None
    revoked: bool
    user_email: str | None = Field(default=None, description="The key's owner (scope=all)")
    requests: int
    cache_hits: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    saved_usd: Decimal


def cache_hit_count() -> ColumnElement[int]:
    """``SUM(outcome = 'cache_hit')``, portable."""
    hit = UsageRecord.outcome == UsageOutcome.CACHE_HIT
    return func.coalesce(func.sum(case((hit, 1), else_=0)), 0)


async def usage_by_key(
    db: AsyncSession, *, start: dt.datetime, end: dt.datetime, user_id: uuid.UUID | None
) -> list[UsageKeyRow]:
    """Rows for ``start <= created_at < end``, largest spend first."""
    dialect = db.get_bind().dialect.name
    stmt = (
        select(
            UsageRecord.api_key_id,
            ApiKey.name,
            ApiKey.prefix,
            ApiKey.revoked_at,
            User.email,
            func.count().label("requests"),
            cache_hit_count().label("cache_hits"),
            func.coalesce(func.sum(UsageRecord.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(UsageRecord.output_tokens), 0).label("output_tokens"),
            money_sum(dialect, UsageRecord.cost_usd).label("cost"),
            money_sum(dialect, UsageRecord.saved_usd).label("saved"),
        )
        .outerjoin(ApiKey, ApiKey.id == UsageRecord.api_key_id)
        .outerjoin(User, User.id == ApiKey.user_id)
        .where(UsageRecord.created_at >= start, UsageRecord.created_at < end)
        .group_by(UsageRecord.api_key_id, ApiKey.name, ApiKey.prefix, ApiKey.revoked_at, User.email)
    )
    if user_id is not None:
        stmt = stmt.where(UsageRecord.user_id == user_id)
    out = [
        UsageKeyRow(
            key_id=row.api_key_id,
            name=row.name,
            prefix=row.prefix,
            revoked=row.revoked_at is not None,
            user_email=row.email if user_id is None else None,
            requests=row.requests,
            cache_hits=row.cache_hits,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost_usd=as_usd(dialect, row.cost),
            saved_usd=as_usd(dialect, row.saved),
        )
        for row in (await db.execute(stmt)).all()
    ]
    out.sort(key=lambda r: (-r.cost_usd, -r.requests, r.name or ""))
    return out
