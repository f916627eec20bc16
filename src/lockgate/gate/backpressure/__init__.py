"""The backpressure: its rules (`policy`), in one process (`memory`), shared through Redis
(`redis`). Importing from here is importing from the old single module."""

from lockgate.gate.backpressure.memory import (
    MemoryBackpressure,
)
from lockgate.gate.backpressure.policy import (
    BackpressureManager,
    BackpressureUnavailable,
    LaneConfig,
    LaneSnapshot,
    Lease,
    Monotonic,
    OnRefresh,
    Overloaded,
    OverloadReason,
    Sleep,
)

__all__ = [
    "BackpressureManager",
    "BackpressureUnavailable",
    "LaneConfig",
    "LaneSnapshot",
    "Lease",
    "MemoryBackpressure",
    "Monotonic",
    "OnRefresh",
    "OverloadReason",
    "Overloaded",
    "Sleep",
]
