"""The breaker in one process (see `lockgate.gate.breaker.policy` for the rules)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lockgate.clock import Clock, system_clock
from lockgate.gate._redis import to_ms
from lockgate.gate.breaker.policy import (
    _NONE,
    BreakerConfig,
    BreakerSnapshot,
    BreakerState,
    CircuitOpen,
    Permit,
    TransitionListener,
    _Transitions,
    from_ms,
    notify,
)


@dataclass
class _Circuit:
    """One breaker's state in memory; ``breaker.redis`` runs the same steps in Lua."""

    state: BreakerState = BreakerState.CLOSED
    epoch: int = 0
    opened_until: int = 0
    cooldown: int = 0
    trips: int = 0
    consecutive: int = 0
    probe_successes: int = 0
    buckets: dict[int, list[int]] = field(default_factory=dict)  # index -> [calls, failures]
    probes: dict[str, int] = field(default_factory=dict)  # permit id -> lease expiry (ms)

    def due(self, now: int) -> _Transitions:
        if self.state is BreakerState.OPEN and now >= self.opened_until:
            self.state, self.epoch, self.probe_successes = BreakerState.HALF_OPEN, self.epoch + 1, 0
            self.probes.clear()
            return [(BreakerState.OPEN, BreakerState.HALF_OPEN)]
        return _NONE

    def window(self, now: int, cfg: BreakerConfig) -> tuple[int, int]:
        oldest = now // cfg.bucket_ms - cfg.buckets
        for index in [i for i in self.buckets if i <= oldest]:
            del self.buckets[index]
        return sum(b[0] for b in self.buckets.values()), sum(b[1] for b in self.buckets.values())

    def admit(self, now: int, cfg: BreakerConfig, name: str) -> tuple[Permit | int, _Transitions]:
        """A permit, or the milliseconds to wait."""
        moved = self.due(now)
        if self.state is BreakerState.OPEN:
            return self.opened_until - now, moved
        if self.state is BreakerState.CLOSED:
            return Permit(name, self.epoch), moved
        self.probes = {pid: exp for pid, exp in self.probes.items() if exp > now}
        if len(self.probes) >= cfg.half_open_probes:
            return min(min(self.probes.values()) - now, max(self.cooldown, cfg.cooldown_ms)), moved
        permit = Permit(name, self.epoch, probe=True)
        self.probes[permit.id] = now + cfg.probe_lease_ms
        return permit, moved

    def settle(self, now: int, cfg: BreakerConfig, permit: Permit, success: bool) -> _Transitions:
        held = self.probes.pop(permit.id, 0) > now if permit.probe else False
        if permit.epoch != self.epoch:
            return _NONE
        if self.state is BreakerState.HALF_OPEN:
            if not held:
                return _NONE  # its lease expired: another probe took the slot
            if not success:
                cooldown = max(cfg.cooldown_ms, min(self.cooldown * 2, cfg.max_cooldown_ms))
                return self._trip(now, cooldown, BreakerState.HALF_OPEN)
            self.probe_successes += 1
            return self._close() if self.probe_successes >= cfg.success_threshold else _NONE
        if self.state is not BreakerState.CLOSED:
            return _NONE
        index = now // cfg.bucket_ms
        bucket = self.buckets.get(index)
        if bucket is None:
            bucket = self.buckets[index] = [0, 0]
        bucket[0] += 1
        if success:
            self.consecutive = 0
            return _NONE
        bucket[1] += 1
        self.consecutive += 1
        calls, failures = self.window(now, cfg)
        if self.consecutive >= cfg.consecutive_failures or (
            calls >= cfg.min_calls and failures >= cfg.failure_ratio * calls
        ):
            return self._trip(now, cfg.cooldown_ms, BreakerState.CLOSED)
        return _NONE

    def _trip(self, now: int, cooldown: int, old: BreakerState) -> _Transitions:
        self.state, self.epoch, self.trips = BreakerState.OPEN, self.epoch + 1, self.trips + 1
        self.opened_until, self.cooldown, self.probe_successes = now + cooldown, cooldown, 0
        self.probes.clear()
        return [(old, BreakerState.OPEN)]

    def _close(self) -> _Transitions:
        self.state, self.epoch = BreakerState.CLOSED, self.epoch + 1
        self.opened_until = self.cooldown = self.consecutive = self.probe_successes = 0
        self.buckets.clear()
        self.probes.clear()
        return [(BreakerState.HALF_OPEN, BreakerState.CLOSED)]


class MemoryBreaker:
    """Breakers for one process (the single-process default). Example::

    breaker = MemoryBreaker(BreakerConfig(cooldown_seconds=5), on_transition=metrics.on_breaker)
    """

    def __init__(
        self,
        config: BreakerConfig | None = None,
        clock: Clock = system_clock,
        *,
        on_transition: TransitionListener | None = None,
    ) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self._on_transition = on_transition
        self._circuits: dict[str, _Circuit] = {}

    def _circuit(self, name: str) -> _Circuit:
        circuit = self._circuits.get(name)
        if circuit is None:
            circuit = self._circuits[name] = _Circuit()
        return circuit

    async def allow(self, name: str) -> Permit:
        now = to_ms(self._clock())
        result, moved = self._circuit(name).admit(now, self.config, name)
        if moved:
            await notify(self._on_transition, name, moved)
        if isinstance(result, Permit):
            return result
        raise CircuitOpen(name, result / 1000)

    async def record(self, permit: Permit, success: bool) -> None:
        if not permit.mark_settled():
            return
        now = to_ms(self._clock())
        moved = self._circuit(permit.name).settle(now, self.config, permit, success)
        if moved:
            await notify(self._on_transition, permit.name, moved)

    async def release(self, permit: Permit) -> None:
        if permit.mark_settled() and permit.probe:
            self._circuit(permit.name).probes.pop(permit.id, None)

    async def state(self, name: str) -> BreakerSnapshot:
        circuit = self._circuit(name)
        now = to_ms(self._clock())
        moved = circuit.due(now)
        calls, failures = circuit.window(now, self.config)
        await notify(self._on_transition, name, moved)
        return BreakerSnapshot(
            name=name,
            state=circuit.state,
            failures=failures,
            calls=calls,
            consecutive_failures=circuit.consecutive,
            opened_until=from_ms(circuit.opened_until)
            if circuit.state is BreakerState.OPEN
            else None,
            trips=circuit.trips,
        )
