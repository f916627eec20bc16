"""Spend for admins (`require_admin` first): one aggregation, the top groups and the totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.roles import require_admin
from lockgate.models import User
from lockgate.spend.repository import Dimension, Group, SpendFilter, SpendRepository
from lockgate.spend.schemas import SpendReport, SpendRow

CSV_HEADER = (
    "group",
    "label",
    "user_email",
    "requests",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "saved_usd",
)


class SpendService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.repo = SpendRepository(db)

    async def report(
        self,
        actor: User,
        by: Dimension,
        f: SpendFilter,
        *,
        start: dt.date,
        end: dt.date,
        limit: int,
    ) -> SpendReport:
        require_admin(actor)
        groups = await self.repo.groups(by, f)
        if by == "day":
            groups.sort(key=lambda g: g.key)
        total = sum((g.cost_usd for g in groups), Decimal(0))
        rows = [_row(g, total) for g in groups[:limit]]
        return SpendReport(
            start=start,
            end=end,
            by=by,
            rows=rows,
            groups=len(groups),
            total_cost_usd=total,
            total_saved_usd=sum((g.saved_usd for g in groups), Decimal(0)),
            total_requests=sum(g.requests for g in groups),
        )

    async def csv_rows(self, actor: User, by: Dimension, f: SpendFilter) -> list[Sequence[Any]]:
        require_admin(actor)
        groups = await self.repo.groups(by, f)
        if by == "day":
            groups.sort(key=lambda g: g.key)
        return list(_csv(groups))


def _row(group: Group, total: Decimal) -> SpendRow:
    share = float(group.cost_usd / total) if total > 0 else 0.0
    return SpendRow(
        key=group.key,
        label=group.label,
        user_email=group.user_email,
        requests=group.requests,
        input_tokens=group.input_tokens,
        output_tokens=group.output_tokens,
        cost_usd=group.cost_usd,
        saved_usd=group.saved_usd,
        share=round(share, 6),
    )


def _csv(groups: Sequence[Group]) -> Iterator[Sequence[Any]]:
    for g in groups:
        yield (
            g.key,
            g.label,
            g.user_email,
            g.requests,
            g.input_tokens,
            g.output_tokens,
            g.cost_usd,
            g.saved_usd,
        )
