"""Writing audit rows: `AuditTrail.record` adds one to the caller's session, so it commits (or
rolls back) with the change it describes — never an audit row for a change that did not happen,
never a change without its row.

Example::

    trail = AuditTrail(db, actor=admin, request_id=rid, clock=clock)
    trail.record("user.role_changed", user_target(user), before={"is_admin": False},
                 after={"is_admin": True})
    await db.commit()                      # the change and its row together
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.models import ApiKey, AuditEntry, User


@dataclass(frozen=True, slots=True)
class Target:
    type: str
    id: str
    label: str = ""


def user_target(user: User) -> Target:
    return Target("user", str(user.id), user.email)


def key_target(key: ApiKey) -> Target:
    return Target("api_key", str(key.id), f"{key.name} ({key.prefix}…)")


def key_snapshot(key: ApiKey) -> dict[str, Any]:
    """What the log keeps of a key: its settings, never its secret or hash."""
    return {
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "daily_budget_usd": key.daily_budget_usd,
        "monthly_budget_usd": key.monthly_budget_usd,
        "rpm": key.rpm,
        "tpm": key.tpm,
        "allowed_models": key.allowed_models,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
    }


def jsonable(value: Any) -> Any:
    """A snapshot value as JSON: money as its exact decimal text, ids and times as text."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def request_id_of(request: Request) -> str:
    value = request.scope.get("state", {}).get("request_id", "")
    return str(value)[:64]


class AuditTrail:
    def __init__(self, db: AsyncSession, *, actor: User, request_id: str, clock: Clock) -> None:
        self.db = db
        self.actor = actor
        self.request_id = request_id
        self.clock = clock

    def record(
        self,
        action: str,
        target: Target,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            actor_id=self.actor.id,
            actor_email=self.actor.email,
            action=action,
            target_type=target.type,
            target_id=target.id,
            target_label=target.label[:320],
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            request_id=self.request_id,
            created_at=self.clock(),
        )
        self.db.add(entry)
        return entry
