"""Spend reports and the one function every provider call uses to write its usage row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import UsageKind, UsageOutcome
from lockgate.usage.by_key import usage_by_key
from lockgate.usage.repository import UsageRepository
from lockgate.usage.schemas import UsageReport, UsageRow


def usage_values(
    *,
    user_id: uuid.UUID | None,
    kind: UsageKind,
    provider: str,
    model: str,
    outcome: UsageOutcome,
    created_at: dt.datetime,
    input_tokens: int = 0,
    output_tokens: int = 0,
    images: int = 0,
    cost_usd: Decimal = Decimal(0),
    saved_usd: Decimal = Decimal(0),
    cost_exact: bool = True,
    latency_ms: int = 0,
    conversation_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    error_code: str | None = None,
) -> dict[str, Any]:
    """One ledger row as column values: ``db.add(UsageRecord(**values))`` and commit it with
    what it describes, or queue it on the batched `UsageWriter` (the /v1 hot path)."""
    return {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "conversation_id": conversation_id,
        "message_id": message_id,
        "api_key_id": api_key_id,
        "kind": kind,
        "provider": provider,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "images": images,
        "cost_usd": cost_usd,
        "saved_usd": saved_usd,
        "cost_exact": cost_exact,
        "latency_ms": latency_ms,
        "outcome": outcome,
        "error_code": error_code,
        "created_at": created_at,
    }


async def usage_report(
    db: AsyncSession, *, start: dt.date, end: dt.date, user_id: uuid.UUID | None
) -> UsageReport:
    """Spend per UTC day and model; ``user_id=None`` is everyone's (admins), per user."""
    begin = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    repo = UsageRepository(db)
    per_user = user_id is None
    rows = await repo.by_day(start=begin, end=stop, user_id=user_id)
    costs: dict[tuple[str, str, str, uuid.UUID | None], Decimal] = defaultdict(Decimal)
    saved: dict[tuple[str, str, str, uuid.UUID | None], Decimal] = defaultdict(Decimal)
    for item in await repo.costs(start=begin, end=stop, user_id=user_id):
        key = (str(item.day), item.model, item.provider, item.user_id if per_user else None)
        costs[key] += item.cost_usd
        saved[key] += item.saved_usd
    out: list[UsageRow] = []
    for row in rows:
        owner = row.user_id if per_user else None
        out.append(
            UsageRow(
                day=_as_date(row.day),
                model=row.model,
                provider=row.provider,
                user_id=owner,
                user_email=row.email if per_user else None,
                requests=row.requests,
                input_tokens=row.input_tokens,
                output_tokens=row.output_tokens,
                images=row.images,
                cache_hits=row.cache_hits,
                cost_usd=costs[(str(row.day), row.model, row.provider, owner)],
                saved_usd=saved[(str(row.day), row.model, row.provider, owner)],
            )
        )
    return UsageReport(
        start=start,
        end=end,
        scope="all" if per_user else "own",
        rows=out,
        total_cost_usd=sum((r.cost_usd for r in out), Decimal(0)),
        total_requests=sum(r.requests for r in out),
        saved_usd=sum((r.saved_usd for r in out), Decimal(0)),
        cache_hits=sum(r.cache_hits for r in out),
        keys=await usage_by_key(db, start=begin, end=stop, user_id=user_id),
    )


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
