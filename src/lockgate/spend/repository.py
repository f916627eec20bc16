"""The one aggregation behind every spend view, over the daily rollup (``usage_daily``).

The rollup holds one row per UTC day, user, key, provider and model, kept exact by a database
trigger on every ledger insert (models/usage_daily.py), so a year is a few rows per day rather
than every call (bench/spend.py measures both). Reports cover whole UTC days. Money is summed
as integer units of 1e-8 USD: exact on both databases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import ApiKey, UsageDaily, User

Dimension = Literal["user", "key", "model", "provider", "day"]


@dataclass(frozen=True, slots=True)
class SpendFilter:
    """Whole UTC days ``start..end`` (inclusive) and optional narrowing."""

    start: dt.date
    end: dt.date
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


def usd_of_units(units: int) -> Decimal:
    """``150000001`` → ``Decimal('1.50000001')`` (never ``0E-8``: it is shown to people)."""
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 100_000_000)
    return Decimal(f"{sign}{whole}.{part:08d}")


def _as_uuid(text: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


class SpendRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def id_text(self, value: uuid.UUID) -> str:
        """An id as the trigger wrote it: SQLite stores uuids as 32 hex digits."""
        return value.hex if self.sqlite else str(value)

    def _dimension(self, by: Dimension) -> list[Any]:
        if by == "user":
            return [UsageDaily.user_key]
        if by == "key":
            return [UsageDaily.key_key]
        if by == "model":
            return [UsageDaily.model, UsageDaily.provider]
        if by == "provider":
            return [UsageDaily.provider]
        return [UsageDaily.day]

    async def groups(self, by: Dimension, f: SpendFilter) -> list[Group]:
        """Every group of the period with its totals, largest cost first."""
        dims = self._dimension(by)
        stmt = select(
            *dims,
            func.sum(UsageDaily.requests).label("requests"),
            func.sum(UsageDaily.input_tokens).label("input_tokens"),
            func.sum(UsageDaily.output_tokens).label("output_tokens"),
            func.sum(UsageDaily.cost_units).label("cost"),
            func.sum(UsageDaily.saved_units).label("saved"),
        ).where(UsageDaily.day >= f.start, UsageDaily.day <= f.end)
        if f.user_id is not None:
            stmt = stmt.where(UsageDaily.user_key == self.id_text(f.user_id))
        if f.api_key_id is not None:
            stmt = stmt.where(UsageDaily.key_key == self.id_text(f.api_key_id))
        if f.model is not None:
            stmt = stmt.where(UsageDaily.model == f.model)
        if f.provider is not None:
            stmt = stmt.where(UsageDaily.provider == f.provider)
        rows = (await self.session.execute(stmt.group_by(*dims))).all()
        labels = await self._labels(by, [_as_uuid(row[0]) for row in rows])
        groups = []
        for row in rows:
            ident = _as_uuid(row[0]) if by in ("user", "key") else None
            key = str(ident) if ident is not None else str(row[0] or "")
            label, email = labels.get(key, (key, None))
            if by == "model":
                label, key = f"{row[0]} ({row[1]})", f"{row[0]}|{row[1]}"
            groups.append(
                Group(
                    key=key,
                    label=label,
                    user_email=email,
                    requests=int(row.requests or 0),
                    input_tokens=int(row.input_tokens or 0),
                    output_tokens=int(row.output_tokens or 0),
                    cost_usd=usd_of_units(int(row.cost or 0)),
                    saved_usd=usd_of_units(int(row.saved or 0)),
                )
            )
        groups.sort(key=lambda g: (-g.cost_usd, -g.requests, g.key))
        return groups

    async def _labels(
        self, by: Dimension, ids: Sequence[uuid.UUID | None]
    ) -> dict[str, tuple[str, str | None]]:
        """Names for the grouped ids, looked up after the aggregation (a few rows, by key);
        an id whose row is gone (a deleted user or key) reads as such."""
        wanted = [i for i in ids if i is not None]
        out: dict[str, tuple[str, str | None]] = {}
        if by == "user":
            out = {str(i): ("(deleted user)", None) for i in wanted}
        elif by == "key":
            out = {str(i): ("(deleted key)", None) for i in wanted}
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
            out[""] = ("(no user: system calls)", None)
        elif by == "key":
            out[""] = ("(web chat, no key)", None)
        return out
