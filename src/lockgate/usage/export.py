"""The usage ledger as CSV: one line per provider call, streamed in chunks as rows are read.

Cells a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return: OWASP's "CSV injection") get a leading ``'``, so a key named
``=HYPERLINK(…)`` is shown as text, never evaluated. Only text cells are guarded; the numbers are
Lockgate's own. Quoting (commas, quotes, newlines) is the `csv` module's, RFC 4180.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.db.engine import reading
from lockgate.models import ApiKey, UsageRecord, User

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 64 * 1024
BATCH_ROWS = 1000
WEB_APP = "web app"

COLUMNS = [
    "time_utc",
    "kind",
    "model",
    "provider",
    "outcome",
    "api_key",
    "api_key_prefix",
    "input_tokens",
    "output_tokens",
    "images",
    "cost_usd",
    "saved_usd",
    "cost_exact",
    "latency_ms",
    "error_code",
]


def safe_cell(value: str) -> str:
    """Text for a CSV cell that no spreadsheet will evaluate."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def usd_text(amount: Decimal) -> str:
    """``0.00000000``, never ``0E-8``."""
    return format(amount, "f")


def export_filename(start: dt.date, end: dt.date) -> str:
    return f"lockgate-usage-{start.isoformat()}-to-{end.isoformat()}.csv"


async def ledger_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    start: dt.datetime,
    end: dt.datetime,
    user_id: uuid.UUID | None,
) -> AsyncIterator[str]:
    """The CSV text of ``start <= created_at < end`` (the user's rows, or everyone's with their
    email), oldest first, in chunks of about `CHUNK_CHARS`. Opens its own read session: the
    response streams after the request's session is closed."""
    everyone = user_id is None
    stmt = (
        select(UsageRecord, ApiKey.name, ApiKey.prefix, User.email)
        .outerjoin(ApiKey, ApiKey.id == UsageRecord.api_key_id)
        .outerjoin(User, User.id == UsageRecord.user_id)
        .where(UsageRecord.created_at >= start, UsageRecord.created_at < end)
        .order_by(UsageRecord.created_at, UsageRecord.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    if not everyone:
        stmt = stmt.where(UsageRecord.user_id == user_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "user_email"] if everyone else COLUMNS)
    async with sessionmaker() as db:
        await reading(db)
        result = await db.stream(stmt)
        async for record, key_name, key_prefix, email in result:
            cells = [
                record.created_at.isoformat(),
                record.kind.value,
                safe_cell(record.model),
                safe_cell(record.provider),
                record.outcome.value,
                safe_cell(key_name) if key_name is not None else WEB_APP,
                key_prefix or "",
                record.input_tokens,
                record.output_tokens,
                record.images,
                usd_text(record.cost_usd),
                usd_text(record.saved_usd),
                "true" if record.cost_exact else "false",
                record.latency_ms,
                safe_cell(record.error_code or ""),
            ]
            if everyone:
                cells.append(safe_cell(email or ""))
            writer.writerow(cells)
            if buffer.tell() >= CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
