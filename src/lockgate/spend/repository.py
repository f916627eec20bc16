"""The one aggregation behind every spend view, in SQL, over ``usage_records``.

One pass over the period's rows (the ``(created_at, …)`` covering index keeps it off the table)
grouped by the requested dimension. Amounts are summed exactly: PostgreSQL sums its NUMERIC;
SQLite stores money as text (`lockgate.db.base.Money`), so it sums integer units of 1e-8 USD
(every stored amount has at most 8 decimals, so ``ROUND(x * 1e8)`` is exact) and Python divides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Date, Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import ApiKey, UsageRecord, User

Dimension = Literal["user", "key", "model", "provider", "day"]
UNIT = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class SpendFilter:
    start: dt.datetime
    end: dt.datetime
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    model: str | None = None
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    label: str
    user_email: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    saved_usd: Decimal


class SpendRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def _money(self, column: Any) -> Any:
        if self.sqlite:
            return func.coalesce(func.sum(cast(func.round(column * 100000000), Integer)), 0)
        return func.coalesce(func.sum(column), 0)

    def _amount(self, value: Any) -> Decimal:
        if self.sqlite:
            return (Decimal(int(value)) * UNIT).quantize(UNIT)
        return Decimal(value).quantize(UNIT)

    def _day(self) -> Any:
        column = UsageRecord.created_at
        if self.sqlite:
            return func.substr(column, 1, 10)  # stored as naive UTC text, 'YYYY-MM-DD HH:…'
        return cast(func.timezone("UTC", column), Date)

    def _dimension(self, by: Dimension) -> list[Any]:
        if by == "user":
            return [UsageRecord.user_id]
        if by == "key":
            return [UsageRecord.api_key_id]
        if by == "model":
            return [UsageRecord.model, UsageRecord.provider]
        if by == "provider":
            return [UsageRecord.provider]
        return [self._day()]

    async def groups(self, by: Dimension, f: SpendFilter) -> list[Group]:
        """Every group of the period with its totals, largest cost first."""
        dims = self._dimension(by)
        stmt = select(
            *dims,
            func.count().label("requests"),
            func.coalesce(func.sum(UsageRecord.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(UsageRecord.output_tokens), 0).label("output_tokens"),
            self._money(UsageRecord.cost_usd).label("cost"),
            self._money(UsageRecord.saved_usd).label("saved"),
        ).where(UsageRecord.created_at >= f.start, UsageRecord.created_at < f.end)
        if f.user_id is not None:
            stmt = stmt.where(UsageRecord.user_id == f.user_id)
        if f.api_key_id is not None:
            stmt = stmt.where(UsageRecord.api_key_id == f.api_key_id)
        if f.model is not None:
            stmt = stmt.where(UsageRecord.model == f.model)
        if f.provider is not None:
            stmt = stmt.where(UsageRecord.provider == f.provider)
        rows = (await self.session.execute(stmt.group_by(*dims))).all()
        labels = await self._labels(by, [row[0] for row in rows])
        groups = []
        for row in rows:
            key = "" if row[0] is None else str(row[0])
            label, email = labels.get(key, (key, None))
            if by == "model":
                label = f"{row[0]} ({row[1]})"
                key = f"{row[0]}|{row[1]}"
            groups.append(
                Group(
                    key=key,
                    label=label,
                    user_email=email,
                    requests=int(row.requests),
                    input_tokens=int(row.input_tokens),
                    output_tokens=int(row.output_tokens),
                    cost_usd=self._amount(row.cost),
                    saved_usd=self._amount(row.saved),
                )
            )
        groups.sort(key=lambda g: (-g.cost_usd, -g.requests, g.key))
        return groups

    async def _labels(
        self, by: Dimension, ids: Sequence[object]
    ) -> dict[str, tuple[str, str | None]]:
        """Names for the grouped ids, looked up after the aggregation (a few rows, by key)."""
        wanted = [i for i in ids if isinstance(i, uuid.UUID)]
        out: dict[str, tuple[str, str | None]] = {"": ("(none)", None)}
        for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
            if by == "user":
                users = await self.session.execute(
                    select(User.id, User.email).where(User.id.in_(chunk))
                )
                out.update({str(u.id): (u.email, u.email) for u in users})
            elif by == "key":
                keys = await self.session.execute(
                    select(ApiKey.id, ApiKey.name, ApiKey.prefix, User.email)
                    .join(User, User.id == ApiKey.user_id)
                    .where(ApiKey.id.in_(chunk))
                )
                out.update({str(k.id): (f"{k.name} ({k.prefix}…)", k.email) for k in keys})
        if by == "user":
            out[""] = ("(deleted users and system calls)", None)
        elif by == "key":
            out[""] = ("(web chat, no key)", None)
        return out
