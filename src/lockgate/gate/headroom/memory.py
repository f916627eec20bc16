"""The headroom in one process (see `lockgate.gate.headroom.policy` for the rules)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from lockgate.clock import Clock, system_clock
from lockgate.gate.headroom.policy import (
    HeadroomLimits,
    HeadroomSnapshot,
    NoHeadroom,
    UpstreamView,
    compose_snapshot,
    tokens_wait,
    upstream_block,
    upstream_view,
)
from lockgate.providers.base import RateLimitInfo


@dataclass
class _NameState:
    log: deque[tuple[float, int]] = field(default_factory=deque)
    used: int = 0
    blocked_until: float | None = None
    upstream: UpstreamView | None = None


class MemoryHeadroom:
    """Headroom for a single process (no Redis). Time comes from the injected clock."""

    def __init__(
        self,
        limits: Mapping[str, HeadroomLimits] | None = None,
        *,
        clock: Clock = system_clock,
        window_s: float = 60.0,
        unknown_reset_s: float = 1.0,
    ) -> None:
        self.limits = dict(limits or {})
        self.window_s = window_s
        self.unknown_reset_s = unknown_reset_s
        self._clock = clock
        self._names: dict[str, _NameState] = {}

    def _state(self, name: str, now: float) -> _NameState:
        state = self._names.get(name)
        if state is None:
            state = self._names[name] = _NameState()
        log, cutoff = state.log, now - self.window_s
        while log and log[0][0] <= cutoff:
            state.used -= log.popleft()[1]
        return state

    async def acquire(self, name: str, tokens: int) -> None:
        if tokens < 0:
            raise ValueError(f"tokens must be >= 0, got {tokens}")
        now = self._clock().timestamp()
        state = self._state(name, now)
        if state.blocked_until is not None and state.blocked_until > now:
            raise NoHeadroom(name, state.blocked_until - now, "upstream")
        limits = self.limits.get(name)
        if limits is None:
            return
        if limits.rpm is not None and len(state.log) >= limits.rpm:
            raise NoHeadroom(name, state.log[0][0] + self.window_s - now, "requests")
        if limits.tpm is not None and state.used + tokens > limits.tpm:
            wait = tokens_wait(list(state.log), state.used, tokens, limits.tpm, now, self.window_s)
            raise NoHeadroom(name, wait, "tokens")
        state.log.append((now, tokens))
        state.used += tokens

    async def observe(
        self, name: str, info: RateLimitInfo | None, *, retry_after: float | None = None
    ) -> None:
        now = self._clock().timestamp()
        state = self._state(name, now)
        until = upstream_block(info, retry_after, now, self.unknown_reset_s)
        if until is not None and (state.blocked_until is None or until > state.blocked_until):
            state.blocked_until = until
        if info is not None:
            state.upstream = upstream_view(info, now, self.window_s)

    async def snapshot(self, name: str) -> HeadroomSnapshot:
        now = self._clock().timestamp()
        state = self._state(name, now)
        return compose_snapshot(
            self.limits.get(name),
            list(state.log),
            state.blocked_until,
            state.upstream,
            now,
            self.window_s,
        )

    async def aclose(self) -> None:
        self._names.clear()
