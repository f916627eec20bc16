"""What the gate tells operators: budget warnings (log + optional webhook), breaker transitions."""

from __future__ import annotations

import contextlib

import httpx

from lockgate.gate.backpressure import LaneSnapshot
from lockgate.gate.breaker import BreakerUnavailable
from lockgate.gate.budget import BudgetStatus, BudgetUnavailable
from lockgate.gate.headroom import HeadroomUnavailable
from lockgate.gate.service import Gate, scope_kind
from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import Metrics

log = get_logger("lockgate.gate")


class BudgetWarnings:
    """``on_threshold`` hook: once per window at 90% and at 100% of a budget.

    The webhook gets ``{"event": "budget_threshold", "scope", "threshold", "ratio", "limit_usd",
    "spent_usd", "reserved_usd", "resets_at"}``; a failing webhook is logged, never raised.
    """

    def __init__(
        self, webhook_url: object | None, *, metrics: Metrics | None = None, timeout: float = 5.0
    ) -> None:
        self.webhook_url = str(webhook_url) if webhook_url else None
        self.metrics = metrics
        self._client = httpx.AsyncClient(timeout=timeout) if self.webhook_url else None

    async def __call__(self, status: BudgetStatus, threshold: float) -> None:
        try:
            await self._warn(status, threshold)
        except Exception:  # a warning must never break the call that crossed the threshold
            log.exception("budget_warning_failed", scope=status.scope)

    async def _warn(self, status: BudgetStatus, threshold: float) -> None:
        payload = {
            "event": "budget_threshold",
            "scope": status.scope,
            "threshold": threshold,
            "ratio": round(status.ratio, 4),
            "limit_usd": str(status.limit_usd),
            "spent_usd": str(status.spent_usd),
            "reserved_usd": str(status.reserved_usd),
            "resets_at": status.resets_at.isoformat(),
        }
        if self.metrics is not None:
            self.metrics.budget_warning(scope_kind(status.scope), threshold)
        level = log.error if threshold >= 1 else log.warning
        level("budget_threshold", **{k: v for k, v in payload.items() if k != "event"})
        if self._client is not None and self.webhook_url is not None:
            try:
                response = await self._client.post(self.webhook_url, json=payload)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                log.warning("budget_webhook_failed", error=str(exc), scope=status.scope)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


class BreakerTransitions:
    """``on_transition`` hook: one log line and one counted transition per change."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics

    async def __call__(self, name: str, old: object, new: object) -> None:
        log.warning("breaker_transition", provider=name, old=str(old), new=str(new))
        if self.metrics is not None:
            self.metrics.breaker_transition(name, str(old), str(new))


class GaugeRefresher:
    """The backpressure updater's hook (every ``gate.gauge_refresh_seconds``, 15 by default):
    provider gauges read from the *shared* state, so every replica reports the same truth."""

    def __init__(self, gate: Gate, metrics: Metrics, providers: list[str]) -> None:
        self.gate = gate
        self.metrics = metrics
        self.providers = providers

    async def __call__(self, lanes: list[LaneSnapshot]) -> None:
        by_name = {lane.name: lane for lane in lanes}
        for provider in self.providers:
            try:
                await self._refresh(provider, by_name.get(provider))
            except Exception:  # a gauge must never take the updater down
                log.exception("gauge_refresh_failed", provider=provider)

    async def _refresh(self, provider: str, lane: LaneSnapshot | None) -> None:
        breaker: int | None = None
        with contextlib.suppress(BreakerUnavailable):  # unknown: leave the gauge as it was
            breaker = (await self.gate.breaker.state(provider)).state.gauge
        ratio: float | None = None
        with contextlib.suppress(BudgetUnavailable):
            statuses = [
                await self.gate.budgets.status(limit)
                for limit in self.gate.budget_limits(provider, None)
            ]
            ratio = max((s.ratio for s in statuses), default=None)
        room = None
        with contextlib.suppress(HeadroomUnavailable):
            room = await self.gate.headroom.snapshot(provider)
        limits = self.gate.headroom.limits.get(provider)
        self.metrics.set_provider_gauges(
            provider,
            budget_ratio=ratio,
            remaining_requests=room.remaining_requests if room else None,
            remaining_tokens=room.remaining_tokens if room else None,
            limit_requests=limits.rpm if limits else None,
            limit_tokens=limits.tpm if limits else None,
            breaker_state=breaker,
            queue_depth=lane.queued if lane else None,
            in_flight=lane.in_flight if lane else None,
        )
