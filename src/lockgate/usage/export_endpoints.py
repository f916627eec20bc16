"""HTTP only: GET /api/v1/usage/export — the ledger of a period as a CSV download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from lockgate.auth.deps import CurrentUser
from lockgate.deps import StateDep
from lockgate.errors import Forbidden
from lockgate.inputs import Day
from lockgate.openapi import error_responses
from lockgate.usage.export import export_filename, ledger_csv
from lockgate.usage.period import resolve_period, utc_bounds

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])


@router.get(
    "/export",
    operation_id="exportUsage",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One line per provider call (RFC 4180 CSV, UTF-8)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **error_responses(401, 403, 422),
    },
)
async def export_usage(
    user: CurrentUser,
    state: StateDep,
    start: Annotated[
        Day | None, Query(description="First UTC day, YYYY-MM-DD (default: 29 days before end)")
    ] = None,
    end: Annotated[
        Day | None, Query(description="Last UTC day, YYYY-MM-DD (default: today)")
    ] = None,
    scope: Annotated[str, Query(pattern="^(own|all)$", description="'all' is for admins")] = "own",
) -> StreamingResponse:
    """Every call of the period, oldest first: time, kind, model, provider, outcome, the key,
    tokens, cost, what the cache saved. Streamed, so a year of usage never sits in memory."""
    first, last = resolve_period(start, end, state.clock().date())
    if scope == "all" and not user.is_admin:
        raise Forbidden("Only administrators can export everyone's usage.")
    await state.usage_writer.flush()  # read your writes: /v1 rows are written in batches
    begin, stop = utc_bounds(first, last)
    rows = ledger_csv(
        state.sessionmaker, start=begin, end=stop, user_id=None if scope == "all" else user.id
    )
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(first, last)}"',
            "Cache-Control": "no-store",
        },
    )
