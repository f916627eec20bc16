"""The gate: budgets, rate limits and circuit breakers in front of every provider call.

Code outside `gate/` imports from here, never from the submodules: the package is being reshaped
(one subpackage per part, one store protocol) and this list is the stable surface across that move.
"""

from lockgate.gate._redis import blob
from lockgate.gate.backpressure import (
    BackpressureManager,
    BackpressureUnavailable,
    LaneConfig,
    LaneSnapshot,
    MemoryBackpressure,
    Monotonic,
    Overloaded,
    Sleep,
)
from lockgate.gate.backpressure.redis import RedisBackpressure
from lockgate.gate.breaker import (
    Breaker,
    BreakerConfig,
    BreakerState,
    BreakerUnavailable,
    CircuitOpen,
    FailOpenBreaker,
    MemoryBreaker,
    Permit,
    TransitionListener,
)
from lockgate.gate.breaker.redis import RedisBreaker
from lockgate.gate.budget import (
    MAX_USD,
    BaseBudgetBackend,
    BudgetExceeded,
    BudgetLimit,
    BudgetStatus,
    BudgetUnavailable,
    MemoryBudgetBackend,
    ThresholdHook,
    Window,
    to_units,
)
from lockgate.gate.budget.redis import RedisBudgetBackend
from lockgate.gate.client_id import IPNetwork, client_ip, client_key, parse_ip, parse_networks
from lockgate.gate.config import GateConfig, RetrySettings
from lockgate.gate.errors import BudgetExhausted, GateOverloaded, ProvidersUnavailable
from lockgate.gate.events import BreakerTransitions, BudgetWarnings, GaugeRefresher
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.headroom import (
    Headroom,
    HeadroomLimits,
    HeadroomSnapshot,
    HeadroomUnavailable,
    MemoryHeadroom,
    NoHeadroom,
)
from lockgate.gate.headroom.redis import RedisHeadroom
from lockgate.gate.ratelimit import (
    HttpRateLimiter,
    KeyBy,
    RateLimitRule,
    RateLimitUnavailable,
    open_storage,
)
from lockgate.gate.service import Gate, Skip, Ticket, best_refusal
from lockgate.gate.store import GateStore, StepwiseStore
from lockgate.gate.store_redis import RedisGateStore
from lockgate.gate.user_limits import UserLimits, UserLimitsSource, YamlUserLimits, yaml_defaults

_MOVED_TO_HTTP = ("LIMITER_STATE", "RateLimitMiddleware", "endpoint_limit")


def __getattr__(name: str) -> object:
    """The rate limit's middleware and dependency moved to `lockgate.http.ratelimit` (the gate
    does not import the web layer); imported from here they still resolve, lazily."""
    if name in _MOVED_TO_HTTP:
        from lockgate.http import ratelimit  # lazy: http imports the gate, not the reverse

        return getattr(ratelimit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LIMITER_STATE",
    "MAX_USD",
    "BackpressureManager",
    "BackpressureUnavailable",
    "BaseBudgetBackend",
    "Breaker",
    "BreakerConfig",
    "BreakerState",
    "BreakerTransitions",
    "BreakerUnavailable",
    "BudgetExceeded",
    "BudgetExhausted",
    "BudgetLimit",
    "BudgetStatus",
    "BudgetUnavailable",
    "BudgetWarnings",
    "CircuitOpen",
    "FailOpenBreaker",
    "Gate",
    "GateConfig",
    "GateOverloaded",
    "GateStore",
    "GaugeRefresher",
    "Headroom",
    "HeadroomLimits",
    "HeadroomSnapshot",
    "HeadroomUnavailable",
    "HttpRateLimiter",
    "IPNetwork",
    "KeyBy",
    "LaneConfig",
    "LaneSnapshot",
    "MemoryBackpressure",
    "MemoryBreaker",
    "MemoryBudgetBackend",
    "MemoryHeadroom",
    "Monotonic",
    "NoHeadroom",
    "Overloaded",
    "Permit",
    "ProvidersUnavailable",
    "RateLimitMiddleware",
    "RateLimitRule",
    "RateLimitUnavailable",
    "RedisBackpressure",
    "RedisBreaker",
    "RedisBudgetBackend",
    "RedisGateStore",
    "RedisHeadroom",
    "RetrySettings",
    "Skip",
    "Sleep",
    "StepwiseStore",
    "ThresholdHook",
    "Ticket",
    "TransitionListener",
    "UserLimits",
    "UserLimitsSource",
    "Window",
    "YamlUserLimits",
    "best_refusal",
    "blob",
    "build_gate",
    "client_ip",
    "client_key",
    "create_redis",
    "endpoint_limit",
    "open_storage",
    "parse_ip",
    "parse_networks",
    "to_units",
    "yaml_defaults",
]
