"""The headroom: its rules (`policy`), in one process (`memory`), shared through Redis
(`redis`). Importing from here is importing from the old single module."""

from lockgate.gate.headroom.memory import (
    MemoryHeadroom,
)
from lockgate.gate.headroom.policy import (
    Headroom,
    HeadroomKind,
    HeadroomLimits,
    HeadroomSnapshot,
    HeadroomUnavailable,
    NoHeadroom,
    Quota,
    UpstreamView,
    compose_snapshot,
    tokens_wait,
    upstream_block,
    upstream_view,
)

__all__ = [
    "Headroom",
    "HeadroomKind",
    "HeadroomLimits",
    "HeadroomSnapshot",
    "HeadroomUnavailable",
    "MemoryHeadroom",
    "NoHeadroom",
    "Quota",
    "UpstreamView",
    "compose_snapshot",
    "tokens_wait",
    "upstream_block",
    "upstream_view",
]
