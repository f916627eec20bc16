"""Every change to a team or to a budget/limit is recorded: who, what, before, after, when.

`record_change` is the one seam this package calls. The audit log itself (a table admins read
and export) belongs to `lockgate.audit`; until it is wired in, the change is written as one
structured log line (event ``audit``) with every field, so nothing goes unrecorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.observability.logging import get_logger

log = get_logger("lockgate.audit")


def record_change(
    session: AsyncSession,
    actor: uuid.UUID,
    action: str,
    target: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Record ``actor``'s ``action`` on ``target`` (``team:<id>``, ``limits:provider:openai``)
    with the values ``before`` and ``after`` it (``None``: created / deleted). Called inside the
    change's transaction, so an audit table can join it."""
    del session  # the seam's signature is the audit table's; the log line needs no session
    log.info(
        "audit",
        actor=str(actor),
        action=action,
        target=target,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )
