"""The spend rollup: one row per UTC day, user, key, provider and model, kept by the database.

A trigger on ``usage_records`` (migration 0012, one per dialect) adds every inserted ledger row
to its day's row here in the same statement, so the rollup is exact whatever path wrote the
usage (the batched /v1 writer, a chat reply, a late row after midnight) and the spend reports
read a few rows per day instead of every call. Ids are text (``''`` for none: NULLs would never
meet in the unique key); money is integer units of 1e-8 USD (exact sums on both databases).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base

USD_UNITS = 100_000_000


class UsageDaily(Base):
    __tablename__ = "usage_daily"
    __table_args__ = (
        Index("ix_usage_daily_user_day", "user_key", "day"),
        # SQLite: rows stored in key order (no separate rowid b-tree), so a period is one range
        # read and the trigger's upsert writes one b-tree instead of two.
        {"sqlite_with_rowid": False},
    )

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    key_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider: Mapped[str] = mapped_column(String(100), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_units: Mapped[int] = mapped_column(BigInteger)
    saved_units: Mapped[int] = mapped_column(BigInteger)
