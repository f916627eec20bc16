"""What the gate tells operators: budget warnings (log + optional webhook), breaker transitions."""

from __future__ import annotations

import httpx

from lockgate.gate.budget import BudgetStatus
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate")


class BudgetWarnings:
    """``on_threshold`` hook: once per window at 90% and at 100% of a budget.

    The webhook gets ``{"event": "budget_threshold", "scope", "threshold", "ratio", "limit_usd",
    "spent_usd", "reserved_usd", "resets_at"}``; a failing webhook is logged, never raised.
    """

    def __init__(self, webhook_url: object | None, *, timeout: float = 5.0) -> None:
        self.webhook_url = str(webhook_url) if webhook_url else None
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


async def log_transition(name: str, old: object, new: object) -> None:
    log.warning("breaker_transition", provider=name, old=str(old), new=str(new))
