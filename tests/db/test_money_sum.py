"""`money_sum`: exact sums of stored amounts in SQL on both databases, even where a floating
point sum (SQLite's SUM over text) would be off by cents or by a hundred-millionth."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.db.money_sum import as_usd, money_sum
from lockgate.models import UsageKind, UsageOutcome, UsageRecord
from lockgate.state import AppState
from lockgate.usage.service import usage_values

AMOUNTS = [
    ["89999999.99999999", "42536086.91488931", "0.00000001"],  # float: off by 10⁻⁸
    ["0.1", "0.2", "0.00000015", "0.00000001", "0"],  # 0E-8 and 1.5E-7 as stored text
    ["16777216.12345678", "0.87654322"],
]


@pytest.mark.parametrize("amounts", AMOUNTS)
async def test_the_sum_is_exact(state: AppState, clock: FakeClock, amounts: list[str]) -> None:
    async with state.sessionmaker() as db:
        for index, amount in enumerate(amounts):
            db.add(
                UsageRecord(
                    **usage_values(
                        user_id=None,
                        kind=UsageKind.CHAT,
                        provider="p",
                        model="first" if index == 0 else "other",
                        outcome=UsageOutcome.OK,
                        created_at=clock(),
                        cost_usd=Decimal(amount),
                        saved_usd=Decimal(amount) / 2,
                    )
                )
            )
        await db.commit()
        dialect = db.get_bind().dialect.name
        whole = money_sum(dialect, UsageRecord.cost_usd)
        large = money_sum(dialect, UsageRecord.cost_usd, UsageRecord.model == "first")
        row = (await db.execute(select(whole, large))).one()
    assert as_usd(dialect, row[0]) == sum((Decimal(a) for a in amounts), Decimal(0))
    assert as_usd(dialect, row[1]) == Decimal(amounts[0])


async def test_no_rows_sum_to_zero(state: AppState) -> None:
    async with state.sessionmaker() as db:
        dialect = db.get_bind().dialect.name
        total = await db.scalar(select(money_sum(dialect, UsageRecord.saved_usd)))
    assert as_usd(dialect, total) == 0
