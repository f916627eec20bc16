"""The breaker: its rules (`policy`), in one process (`memory`), shared through Redis
(`redis`). Importing from here is importing from the old single module."""

from lockgate.gate.breaker.memory import (
    MemoryBreaker,
)
from lockgate.gate.breaker.policy import (
    Breaker,
    BreakerConfig,
    BreakerSnapshot,
    BreakerState,
    BreakerUnavailable,
    CircuitOpen,
    FailOpenBreaker,
    Permit,
    TransitionListener,
    from_ms,
    notify,
)

__all__ = [
    "Breaker",
    "BreakerConfig",
    "BreakerSnapshot",
    "BreakerState",
    "BreakerUnavailable",
    "CircuitOpen",
    "FailOpenBreaker",
    "MemoryBreaker",
    "Permit",
    "TransitionListener",
    "from_ms",
    "notify",
]
