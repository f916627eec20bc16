"""Every change to a team or to a budget/limit is recorded in the audit log (`lockgate.audit`):
who, what, before, after, when — in the change's own transaction, so a refused change leaves no
row. `record_change` is the one call this package makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.audit.trail import jsonable
from lockgate.models import AuditEntry, User


def record_change(
    session: AsyncSession,
    actor: User,
    action: str,
    target: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Record ``actor``'s ``action`` on ``target`` (``team:<id>``, ``provider:openai``) with
    the values ``before`` and ``after`` it (``None``: created / deleted)."""
    kind, _, ident = target.partition(":")
    session.add(
        AuditEntry(
            actor_id=actor.id,
            actor_email=actor.email,
            action=action,
            target_type=kind,
            target_id=ident,
            target_label=target[:320],
            before=jsonable(dict(before)) if before is not None else None,
            after=jsonable(dict(after)) if after is not None else None,
        )
    )
