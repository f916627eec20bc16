"""HTTP only: /api/v1/admin/audit — the audit log, a page at a time or as a streamed CSV."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from lockgate.audit.csv_export import CSV_MEDIA_TYPE, attachment, csv_stream
from lockgate.audit.repository import AuditFilter
from lockgate.audit.schemas import AuditPage
from lockgate.audit.service import CSV_HEADER, AuditService
from lockgate.auth.deps import CurrentUser
from lockgate.auth.roles import require_admin
from lockgate.db.engine import reading
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import Unprocessable
from lockgate.inputs import Instant
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1/admin/audit", tags=["admin"])
Name = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")]


async def audit_filter(
    actor_id: uuid.UUID | None = None,
    action: Name = None,
    target_type: Name = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[Instant | None, Query(description="From this instant (inclusive)")] = None,
    until: Annotated[Instant | None, Query(description="Before this instant")] = None,
) -> AuditFilter:
    """``action`` is an exact name (``user.disabled``) or a prefix ending in a dot (``user.``)."""
    if since is not None and until is not None and since >= until:
        raise Unprocessable("since must be before until.")
    return AuditFilter(actor_id, action, target_type, target_id, since, until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", operation_id="listAudit", responses=error_responses(400, 401, 403, 422))
async def list_audit(
    user: CurrentUser,
    db: SessionDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> AuditPage:
    """Admins: every administrative change, newest first (cursor pagination)."""
    return await AuditService(db).page(user, f, limit=limit, cursor=cursor)


@router.get(
    "/export.csv",
    operation_id="exportAudit",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 422),
    },
)
async def export_audit(user: CurrentUser, state: StateDep, f: FilterDep) -> StreamingResponse:
    """Admins: the filtered log as CSV, streamed (formula cells are neutralised)."""
    require_admin(user)

    async def rows() -> AsyncIterator[Sequence[Any]]:
        async with state.sessionmaker() as db:
            await reading(db)
            async for row in AuditService(db).csv_rows(user, f):
                yield row

    return StreamingResponse(
        csv_stream(CSV_HEADER, rows()),
        media_type=CSV_MEDIA_TYPE,
        headers=attachment("lockgate-audit.csv"),
    )
