"""Where the ledger rows of provider attempts go: one row per attempt, whatever the caller.

A sink only takes column values (built by `lockgate.usage.service.usage_values`). Chat replies,
titles and web images write theirs in the caller's own transaction (`SessionUsage`), so the row
commits with the reply or the image; ``/v1`` queues them for the batched
`lockgate.usage.writer.UsageWriter`, which satisfies the same protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import UsageRecord


class UsageSink(Protocol):
    def add(self, values: dict[str, Any]) -> None:
        """Take one usage row (column values); the sink decides when it is written."""


class SessionUsage:
    """Rows added to a session: written with the caller's commit, at once."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    def add(self, values: dict[str, Any]) -> None:
        self.db.add(UsageRecord(**values))
