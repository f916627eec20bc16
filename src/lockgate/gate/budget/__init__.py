"""The budget: its rules (`policy`), in one process (`memory`), shared through Redis
(`redis`). Importing from here is importing from the old single module."""

from lockgate.gate.budget.base import BaseBudgetBackend
from lockgate.gate.budget.memory import (
    MemoryBudgetBackend,
)
from lockgate.gate.budget.policy import (
    DEFAULT_THRESHOLDS,
    FALLBACK_TTL,
    MAX_UNITS,
    MAX_USD,
    SETTLED_MEMORY,
    WINDOW_GRACE,
    BudgetBackend,
    BudgetExceeded,
    BudgetLimit,
    BudgetStatus,
    BudgetUnavailable,
    Period,
    Reservation,
    Tally,
    ThresholdHook,
    Window,
    from_units,
    spend_units,
    to_units,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FALLBACK_TTL",
    "MAX_UNITS",
    "MAX_USD",
    "SETTLED_MEMORY",
    "WINDOW_GRACE",
    "BaseBudgetBackend",
    "BudgetBackend",
    "BudgetExceeded",
    "BudgetLimit",
    "BudgetStatus",
    "BudgetUnavailable",
    "MemoryBudgetBackend",
    "Period",
    "Reservation",
    "Tally",
    "ThresholdHook",
    "Window",
    "from_units",
    "spend_units",
    "to_units",
]
