"""Reading the audit log (admins only): pages for the console, a streamed CSV export."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.audit.repository import AuditFilter, AuditRepository
from lockgate.audit.schemas import AuditOut, AuditPage
from lockgate.auth.roles import require_admin
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.inputs import Instant
from lockgate.models import User

CSV_HEADER = (
    "created_at",
    "actor_email",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "before",
    "after",
    "request_id",
)


class AuditService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.entries = AuditRepository(db)

    async def page(
        self, actor: User, f: AuditFilter, *, limit: int, cursor: str | None
    ) -> AuditPage:
        require_admin(actor)
        after = None
        if cursor:
            data = decode_cursor(cursor, t=Instant, i=uuid.UUID)
            after = (data["t"], data["i"])
        rows = await self.entries.page(f, limit=limit + 1, after=after)
        more = len(rows) > limit
        items = list(rows[:limit])
        next_cursor = (
            encode_cursor(t=items[-1].created_at.isoformat(), i=str(items[-1].id))
            if more and items
            else None
        )
        return AuditPage(items=[AuditOut.model_validate(e) for e in items], next_cursor=next_cursor)

    async def csv_rows(self, actor: User, f: AuditFilter) -> AsyncIterator[Sequence[Any]]:
        """The rows of the export, newest first (the caller checked the actor before streaming:
        an error must be a status, not a broken download)."""
        require_admin(actor)
        async for e in self.entries.stream(f):
            yield (
                e.created_at.isoformat(),
                e.actor_email,
                str(e.actor_id or ""),
                e.action,
                e.target_type,
                e.target_id,
                e.target_label,
                _json(e.before),
                _json(e.after),
                e.request_id,
            )


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))
