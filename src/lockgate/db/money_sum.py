"""Exact sums of `Money` columns in SQL, on both backends.

PostgreSQL keeps money as ``NUMERIC(18, 8)``: ``SUM`` is exact there. SQLite keeps it as the
decimal's text (see `db.base.Money`), and ``SUM`` over text goes through binary floating point
(``0.1 + 0.2``). So on SQLite each amount becomes a whole number of 10⁻⁸ dollars first and the
integers are summed, which is exact. The canonical text has exactly 8 decimals
(``"12.50000000"``): without its point it *is* that integer. Below a millionth of a dollar
`Decimal` writes an exponent (``"1.5E-7"``, ``"0E-8"``); those few go through ``ROUND(x * 1e8)``,
exact for amounts that small. One aggregate query instead of fetching every row to add it up in
Python::

    total = money_sum(dialect, UsageRecord.cost_usd).label("cost")
    ... select(total) ...
    as_usd(dialect, row.cost)   # Decimal('0.60000006')
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Float, String, and_, case, cast, func, literal, type_coerce
from sqlalchemy.sql.elements import ColumnElement

UNITS_PER_USD = 100_000_000
QUANTUM = Decimal("0.00000001")


def _units(dialect: str, column: Any) -> Any:
    if dialect != "sqlite":
        return column
    text = type_coerce(column, String)
    point = func.instr(text, literal(".", String))
    canonical = and_(point > 0, func.length(text) - point == 8)
    digits = func.replace(text, literal(".", String), literal("", String))
    return case(
        (canonical, cast(digits, BigInteger)),
        else_=cast(func.round(cast(text, Float) * UNITS_PER_USD), BigInteger),
    )


def money_sum(dialect: str, column: Any, where: ColumnElement[bool] | None = None) -> Any:
    """``SUM(column)`` (or only the rows matching ``where``), exact; 0 when there is no row.
    Read the result with `as_usd`."""
    amount = _units(dialect, column)
    if where is not None:
        amount = case((where, amount), else_=0)
    return func.coalesce(func.sum(amount), 0)


def as_usd(dialect: str, value: Any) -> Decimal:
    """A `money_sum` result as dollars, quantized to 8 decimals like every stored amount."""
    if value is None:
        return Decimal(0).quantize(QUANTUM)
    if dialect == "sqlite":
        return (Decimal(int(value)) / UNITS_PER_USD).quantize(QUANTUM)
    return Decimal(str(value)).quantize(QUANTUM)
