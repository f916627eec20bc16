"""HTTP only: /api/v1/admin/spend — spend by a dimension over any period, and its CSV."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from lockgate.audit.csv_export import CSV_MEDIA_TYPE, attachment, csv_stream
from lockgate.auth.deps import CurrentUser
from lockgate.auth.roles import require_admin
from lockgate.db.engine import reading
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import Unprocessable
from lockgate.inputs import Day
from lockgate.openapi import error_responses
from lockgate.spend.repository import Dimension, SpendFilter
from lockgate.spend.schemas import SpendReport
from lockgate.spend.service import CSV_HEADER, SpendService

router = APIRouter(prefix="/api/v1/admin/spend", tags=["admin"])
MAX_RANGE_DAYS = 3660


class Period:
    def __init__(self, start: dt.date, end: dt.date, f: SpendFilter) -> None:
        self.start, self.end, self.filter = start, end, f


async def period(
    state: StateDep,
    start: Annotated[Day | None, Query(description="First UTC day (default: end - 29)")] = None,
    end: Annotated[Day | None, Query(description="Last UTC day (default: today)")] = None,
    user_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    provider: Annotated[str | None, Query(max_length=100)] = None,
) -> Period:
    end = end or state.clock().date()
    start = start or end - dt.timedelta(days=29)
    if start > end:
        raise Unprocessable("start must be on or before end.")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise Unprocessable(f"The range may span at most {MAX_RANGE_DAYS} days.")
    return Period(start, end, SpendFilter(start, end, user_id, api_key_id, model, provider))


PeriodDep = Annotated[Period, Depends(period)]
By = Annotated[Dimension, Query(description="Group by user, key, model, provider or day")]


@router.get("", operation_id="adminSpend", responses=error_responses(401, 403, 422))
async def spend(
    user: CurrentUser,
    db: SessionDep,
    state: StateDep,
    p: PeriodDep,
    by: By = "user",
    limit: Annotated[int, Query(ge=1, le=1000, description="Top groups returned")] = 100,
) -> SpendReport:
    """Admins: spend by user (top spenders first), key, model, provider or day."""
    require_admin(user)
    await state.usage_writer.flush()  # read your writes: /v1 rows are written in batches
    return await SpendService(db).report(user, by, p.filter, start=p.start, end=p.end, limit=limit)


@router.get(
    "/export.csv",
    operation_id="adminSpendExport",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 422),
    },
)
async def export_spend(
    user: CurrentUser, state: StateDep, p: PeriodDep, by: By = "user"
) -> StreamingResponse:
    """Admins: every group of the period as CSV (formula cells neutralised)."""
    require_admin(user)
    await state.usage_writer.flush()

    async def rows() -> AsyncIterator[Sequence[Any]]:
        async with state.sessionmaker() as db:
            await reading(db)
            for row in await SpendService(db).csv_rows(user, by, p.filter):
                yield row

    name = f"lockgate-spend-by-{by}-{p.start}-{p.end}.csv"
    return StreamingResponse(
        csv_stream(CSV_HEADER, rows()), media_type=CSV_MEDIA_TYPE, headers=attachment(name)
    )
