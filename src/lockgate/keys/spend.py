"""What each key spent today and this month, and what is left of its budgets, from the ledger.

The periods are the gate's budget windows (`gate.budgets.timezone`): "today" on the keys page is
the same day the key's daily budget counts, so *remaining* is what the gate will still let the
key spend (less whatever is in flight at this moment). Every key of the list is summed in one
aggregate query over the usage ledger, answered from its ``(api_key_id, created_at, cost_usd)``
index alone (migration 0011), never a query per key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.db.money_sum import as_usd, money_sum
from lockgate.models import ApiKey, UsageRecord

ZERO = Decimal("0E-8")


@dataclass(frozen=True, slots=True)
class Periods:
    """The current budget day and month in a time zone, as UTC instants ``[start, end)``."""

    timezone: str
    day_start: datetime
    day_end: datetime
    month_start: datetime
    month_end: datetime

    @classmethod
    def at(cls, now: datetime, tz: str) -> Periods:
        zone = ZoneInfo(tz)
        today = now.astimezone(zone).date()
        first = today.replace(day=1)
        next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)

        def start(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

        return cls(
            timezone=tz,
            day_start=start(today),
            day_end=start(today + timedelta(days=1)),
            month_start=start(first),
            month_end=start(next_month),
        )


@dataclass(frozen=True, slots=True)
class Spend:
    today_usd: Decimal
    month_usd: Decimal


@dataclass(frozen=True, slots=True)
class KeySpend:
    """A key's spend in the current periods and what its budgets still allow (None: no budget)."""

    today_usd: Decimal
    month_usd: Decimal
    daily_remaining_usd: Decimal | None
    monthly_remaining_usd: Decimal | None
    day_resets_at: datetime
    month_resets_at: datetime
    timezone: str

    @classmethod
    def of(cls, key: ApiKey, spend: Spend | None, periods: Periods) -> KeySpend:
        spent = spend or Spend(ZERO, ZERO)
        return cls(
            today_usd=spent.today_usd,
            month_usd=spent.month_usd,
            daily_remaining_usd=_left(key.daily_budget_usd, spent.today_usd),
            monthly_remaining_usd=_left(key.monthly_budget_usd, spent.month_usd),
            day_resets_at=periods.day_end,
            month_resets_at=periods.month_end,
            timezone=periods.timezone,
        )


def _left(limit: Decimal | None, spent: Decimal) -> Decimal | None:
    return None if limit is None else max(limit - spent, ZERO)


async def spend_by_key(
    db: AsyncSession, periods: Periods, *, user_id: uuid.UUID | None
) -> dict[uuid.UUID, Spend]:
    """``key id -> Spend`` for every key with usage this month (the user's, or everyone's).

    Read from the ledger's ``(api_key_id, created_at, cost_usd)`` index alone, in key order.
    (Grouping by key *and* "today or not" would convert each amount once, but costs a sort:
    measured slower than the two conditional sums on SQLite.)
    """
    dialect = db.get_bind().dialect.name
    cost = UsageRecord.cost_usd
    today = and_(
        UsageRecord.created_at >= periods.day_start, UsageRecord.created_at < periods.day_end
    )
    if user_id is None:
        keys = UsageRecord.api_key_id.is_not(None)
    else:
        keys = UsageRecord.api_key_id.in_(select(ApiKey.id).where(ApiKey.user_id == user_id))
    stmt = (
        select(
            UsageRecord.api_key_id,
            money_sum(dialect, cost, today).label("today"),
            money_sum(dialect, cost).label("month"),
        )
        .where(
            keys,
            UsageRecord.created_at >= periods.month_start,
            UsageRecord.created_at < periods.month_end,
        )
        .group_by(UsageRecord.api_key_id)
    )
    return {
        row.api_key_id: Spend(as_usd(dialect, row.today), as_usd(dialect, row.month))
        for row in (await db.execute(stmt)).all()
    }


def spend_for(
    keys: Iterable[ApiKey], spends: dict[uuid.UUID, Spend], periods: Periods
) -> dict[uuid.UUID, KeySpend]:
    return {key.id: KeySpend.of(key, spends.get(key.id), periods) for key in keys}
