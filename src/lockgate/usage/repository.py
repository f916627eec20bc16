"""Usage queries: record a call, aggregate spend by day and model."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, Row, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import UsageRecord, User
from lockgate.usage.by_key import cache_hit_count


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: UsageRecord) -> None:
        self.session.add(record)

    def _day(self) -> Any:
        column = UsageRecord.created_at
        if self.session.get_bind().dialect.name == "sqlite":
            return func.date(column)  # stored as naive UTC text
        return cast(func.timezone("UTC", column), Date)

    async def by_day(
        self, *, start: dt.datetime, end: dt.datetime, user_id: uuid.UUID | None
    ) -> Sequence[Row[Any]]:
        """Totals per (day, model, provider[, user]) for ``start <= created_at < end``."""
        day = self._day().label("day")
        columns: list[Any] = [
            day,
            UsageRecord.model,
            UsageRecord.provider,
            func.count().label("requests"),
            func.coalesce(func.sum(UsageRecord.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(UsageRecord.output_tokens), 0).label("output_tokens"),
            func.coalesce(func.sum(UsageRecord.images), 0).label("images"),
            cache_hit_count().label("cache_hits"),
        ]
        group: list[Any] = [day, UsageRecord.model, UsageRecord.provider]
        stmt = select(*columns).where(UsageRecord.created_at >= start, UsageRecord.created_at < end)
        if user_id is not None:
            stmt = stmt.where(UsageRecord.user_id == user_id)
        else:
            stmt = stmt.add_columns(UsageRecord.user_id, User.email).outerjoin(
                User, User.id == UsageRecord.user_id
            )
            group += [UsageRecord.user_id, User.email]
        return (await self.session.execute(stmt.group_by(*group).order_by(day))).all()

    async def costs(
        self, *, start: dt.datetime, end: dt.datetime, user_id: uuid.UUID | None
    ) -> Sequence[Row[Any]]:
        """(day, model, provider[, user_id], cost, saved) rows; amounts are summed in Python as
        Decimal because SQLite stores them as text (SUM would go through floating point)."""
        day = self._day().label("day")
        stmt = select(
            day,
            UsageRecord.model,
            UsageRecord.provider,
            UsageRecord.user_id,
            UsageRecord.cost_usd,
            UsageRecord.saved_usd,
        ).where(UsageRecord.created_at >= start, UsageRecord.created_at < end)
        if user_id is not None:
            stmt = stmt.where(UsageRecord.user_id == user_id)
        return (await self.session.execute(stmt)).all()
