"""``GET /health/providers``: each provider's gate state, live, as every replica sees it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel

from lockgate.auth.deps import CurrentUser
from lockgate.deps import StateDep
from lockgate.gate.backpressure import BackpressureUnavailable
from lockgate.gate.breaker import BreakerUnavailable
from lockgate.gate.budget import BudgetUnavailable
from lockgate.gate.headroom import HeadroomUnavailable
from lockgate.gate.service import Gate
from lockgate.openapi import error_responses

router = APIRouter(prefix="/health", tags=["health"])


class BudgetOut(BaseModel):
    scope: str
    period: str
    limit_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    ratio: float
    resets_at: datetime


class HeadroomOut(BaseModel):
    remaining_requests: int | None
    remaining_tokens: int | None
    reset_requests_s: float | None
    reset_tokens_s: float | None
    blocked_until: datetime | None


class LastErrorOut(BaseModel):
    """``message`` is ours, one per error code; ``detail`` (the upstream's own text, which may
    name internal hosts, files or accounts) is only filled in for admins."""

    code: str
    message: str
    at: datetime
    detail: str | None = None


class ProviderHealth(BaseModel):
    name: str
    type: str
    breaker: str  # closed | half_open | open | unknown
    breaker_open_until: datetime | None
    budgets: list[BudgetOut]
    budget_status: str  # ok | unavailable
    headroom: HeadroomOut | None
    in_flight: int | None
    queued: int | None
    max_concurrent: int | None
    last_error: LastErrorOut | None


class ProvidersHealth(BaseModel):
    providers: list[ProviderHealth]


async def provider_health(gate: Gate, name: str, kind: str, *, admin: bool) -> ProviderHealth:
    await gate.settled()  # this process's queued settles (verdicts, lane slots, spend) first
    breaker, open_until = "unknown", None
    try:
        snapshot = await gate.breaker.state(name)
        breaker, open_until = snapshot.state.value, snapshot.opened_until
    except BreakerUnavailable:
        pass
    budgets: list[BudgetOut] = []
    budget_status = "ok"
    try:
        for limit in gate.budget_limits(name, None):
            status = await gate.budgets.status(limit)
            budgets.append(
                BudgetOut(
                    scope=status.scope,
                    period=status.period,
                    limit_usd=status.limit_usd,
                    spent_usd=status.spent_usd,
                    reserved_usd=status.reserved_usd,
                    ratio=status.ratio,
                    resets_at=status.resets_at,
                )
            )
    except BudgetUnavailable:
        budget_status = "unavailable"
    headroom = None
    try:
        room = await gate.headroom.snapshot(name)
        headroom = HeadroomOut(
            remaining_requests=room.remaining_requests,
            remaining_tokens=room.remaining_tokens,
            reset_requests_s=room.reset_requests_s,
            reset_tokens_s=room.reset_tokens_s,
            blocked_until=room.blocked_until,
        )
    except HeadroomUnavailable:
        pass
    in_flight = queued = max_concurrent = None
    try:
        lane = await gate.backpressure.snapshot(name)
        in_flight, queued, max_concurrent = lane.in_flight, lane.queued, lane.max_concurrent
    except BackpressureUnavailable:
        pass
    last = await gate.last_error(name)
    last_error = None
    if last is not None:
        detail = last.detail if admin else None
        last_error = LastErrorOut(code=last.code, message=last.message, at=last.at, detail=detail)
    return ProviderHealth(
        name=name,
        type=kind,
        breaker=breaker,
        breaker_open_until=open_until,
        budgets=budgets,
        budget_status=budget_status,
        headroom=headroom,
        in_flight=in_flight,
        queued=queued,
        max_concurrent=max_concurrent,
        last_error=last_error,
    )


@router.get("/providers", operation_id="healthProviders", responses=error_responses(401))
async def providers(user: CurrentUser, state: StateDep) -> ProvidersHealth:
    """Breaker state, budget spent/reserved/limit, rate-limit headroom, in-flight calls, queue
    depth and the last error of every provider (shared state when Redis is configured). The
    last error's upstream detail is shown to admins only."""
    return ProvidersHealth(
        providers=[
            await provider_health(state.gate, name, provider.type, admin=user.is_admin)
            for name, provider in state.config.file.providers.items()
        ]
    )
