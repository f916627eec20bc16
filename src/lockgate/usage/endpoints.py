"""HTTP only: /api/v1/usage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import Forbidden
from lockgate.inputs import Day
from lockgate.openapi import error_responses
from lockgate.usage.period import resolve_period
from lockgate.usage.schemas import UsageReport
from lockgate.usage.service import usage_report

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])


@router.get("", operation_id="getUsage", responses=error_responses(401, 403, 422))
async def get_usage(
    user: CurrentUser,
    db: SessionDep,
    state: StateDep,
    start: Annotated[
        Day | None, Query(description="First UTC day, YYYY-MM-DD (default: 29 days before end)")
    ] = None,
    end: Annotated[
        Day | None, Query(description="Last UTC day, YYYY-MM-DD (default: today)")
    ] = None,
    scope: Annotated[str, Query(pattern="^(own|all)$", description="'all' is for admins")] = "own",
) -> UsageReport:
    """Spend by day and model, by API key, and what the cache saved: your own, or everyone's
    (admins, ``scope=all``)."""
    start, end = resolve_period(start, end, state.clock().date())
    if scope == "all" and not user.is_admin:
        raise Forbidden("Only administrators can see everyone's usage.")
    await state.usage_writer.flush()  # read your writes: /v1 rows are written in batches
    return await usage_report(db, start=start, end=end, user_id=None if scope == "all" else user.id)
