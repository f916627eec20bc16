"""Every query on the audit log: newest first, keyset pages, filters on indexed columns."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(f: AuditFilter) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    if f.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == f.actor_id)
    if f.action:
        # "user." matches every user action; a full name matches exactly
        if f.action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(f.action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == f.action)
    if f.target_type:
        stmt = stmt.where(AuditEntry.target_type == f.target_type)
    if f.target_id:
        stmt = stmt.where(AuditEntry.target_id == f.target_id)
    if f.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.created_at < f.until)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, f: AuditFilter, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> Sequence[AuditEntry]:
        stmt = _filtered(f)
        if after is not None:
            at, last = after
            stmt = stmt.where(
                or_(
                    AuditEntry.created_at < at,
                    and_(AuditEntry.created_at == at, AuditEntry.id < last),
                )
            )
        return (await self.session.scalars(stmt.limit(limit))).all()

    async def stream(self, f: AuditFilter) -> AsyncIterator[AuditEntry]:
        result = await self.session.stream_scalars(_filtered(f).execution_options(yield_per=500))
        async for entry in result:
            yield entry
