"""The gate: budgets, rate limits and circuit breakers in front of every provider call."""

from lockgate.gate.budget import BudgetLimit
from lockgate.gate.config import RetrySettings
from lockgate.gate.errors import BudgetExhausted, GateOverloaded, ProvidersUnavailable
from lockgate.gate.service import Gate, Skip, Ticket, best_refusal

__all__ = [
    "BudgetExhausted",
    "BudgetLimit",
    "Gate",
    "GateOverloaded",
    "ProvidersUnavailable",
    "RetrySettings",
    "Skip",
    "Ticket",
    "best_refusal",
]
