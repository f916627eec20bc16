"""What a client sees when the gate refuses a call (all :class:`~lockgate.errors.AppError`)."""

from __future__ import annotations

from datetime import datetime

from lockgate.errors import RateLimited, ServiceUnavailable


class BudgetExhausted(RateLimited):
    """429 ``budget_exceeded``: the user's (or every candidate provider's) budget is spent."""

    code = "budget_exceeded"

    def __init__(self, message: str, *, resets_at: datetime, now: datetime) -> None:
        self.resets_at = resets_at
        super().__init__(
            message,
            retry_after=max(1.0, (resets_at - now).total_seconds()),
            headers={"X-Budget-Resets-At": resets_at.isoformat()},
        )


class BudgetStoreUnavailable(ServiceUnavailable):
    """503 ``budget_unavailable``: budgets cannot be checked, so nothing is spent (fail closed)."""

    code = "budget_unavailable"
    message = "Budgets cannot be checked right now, so the call was not made. Try again shortly."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "5"})


class GateOverloaded(ServiceUnavailable):
    """503 ``overloaded``: every candidate's queue is full or its wait ran out."""

    code = "overloaded"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, round(retry_after)))})


class ProvidersUnavailable(ServiceUnavailable):
    """503 ``provider_unavailable``: every candidate's breaker is open or it has no headroom."""

    code = "provider_unavailable"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, round(retry_after)))})
