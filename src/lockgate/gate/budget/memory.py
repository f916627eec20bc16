"""The budget in one process (see `lockgate.gate.budget.policy` for the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lockgate.clock import Clock
from lockgate.gate._redis import to_ms
from lockgate.gate.budget.base import BaseBudgetBackend
from lockgate.gate.budget.policy import (
    _NEVER,
    DEFAULT_THRESHOLDS,
    FALLBACK_TTL,
    Reservation,
    Tally,
    ThresholdHook,
    Window,
)


class _Slot:
    """One window in memory; ``leases`` maps reservation id to (expiry in ms, units).

    ``next_expiry`` is at or before the earliest lease expiry (ms), so purging looks at the
    leases only when one may have expired; ``alert_at`` is the smallest used amount (units) that
    crosses a threshold not yet fired, so a change that crosses none costs one comparison.
    """

    __slots__ = ("alert_at", "alerted", "drop_ms", "leases", "next_expiry", "reserved", "spent")

    def __init__(self, drop_ms: int, alert_at: int) -> None:
        self.drop_ms = drop_ms
        self.alert_at = alert_at
        self.spent = 0
        self.reserved = 0
        self.leases: dict[str, tuple[int, int]] = {}
        self.next_expiry = _NEVER
        self.alerted: set[float] = set()

    def purge(self, now_ms: int) -> None:
        """Drop the leases expired at ``now_ms`` (call it once ``now_ms >= next_expiry``)."""
        earliest = _NEVER
        for rid, (expires_ms, units) in list(self.leases.items()):
            if expires_ms <= now_ms:
                del self.leases[rid]
                self.reserved -= units
            elif expires_ms < earliest:
                earliest = expires_ms
        self.next_expiry = earliest


class MemoryBudgetBackend(BaseBudgetBackend):
    """Budgets of one process, for tests and single-replica deployments.

    Every operation runs without an ``await`` between reading and changing the windows, so on
    the (single-threaded) event loop it is atomic without a lock. Use it from one thread only.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        on_threshold: ThresholdHook | None = None,
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    ) -> None:
        super().__init__(clock, on_threshold=on_threshold, thresholds=thresholds)
        self._slots: dict[str, _Slot] = {}
        self._next_sweep = 0

    async def _reserve(
        self, windows: list[Window], units: int, reservation: Reservation, now: datetime
    ) -> list[Tally]:
        now_ms = to_ms(now)
        slots = [self._slot(w, now_ms) for w in windows]
        for window, slot in zip(windows, slots):  # noqa: B905 - the same length
            if slot.spent + slot.reserved + units > window.limit.limit_units:
                raise window.exceeded(slot.spent, slot.reserved, units)
        rid, expires_ms = reservation.id, to_ms(reservation.expires_at)
        lease = (expires_ms, units)
        tallies: list[Tally] = []
        for window, slot in zip(windows, slots):  # noqa: B905 - the same length
            slot.reserved += units
            slot.leases[rid] = lease
            if expires_ms < slot.next_expiry:
                slot.next_expiry = expires_ms
            if slot.spent + slot.reserved >= slot.alert_at:
                tallies.append(self._claim(window, slot))
        return tallies

    async def _release(
        self,
        reservation: Reservation,
        windows: list[Window | None],
        actual: int | None,
        now: datetime,
    ) -> list[Tally]:
        now_ms = to_ms(now)
        rid = reservation.id
        if now_ms >= self._next_sweep:
            self._sweep(now_ms)
        slots = [
            self._slot(window, now_ms, key=key)
            for key, window in zip(reservation.scopes, windows, strict=True)
        ]
        if slots and rid not in slots[0].leases and now_ms < to_ms(reservation.expires_at):
            return []  # settled or refunded already (an expired lease still settles its spend)
        tallies: list[Tally] = []
        for window, slot in zip(windows, slots, strict=True):
            held = slot.leases.pop(rid, None)
            if held is not None:
                slot.reserved -= held[1]
            if actual is not None:
                slot.spent += actual
                if slot.spent + slot.reserved >= slot.alert_at:
                    tallies.append(self._claim(window, slot))
        return tallies

    async def _record(self, windows: list[Window], units: int, now: datetime) -> list[Tally]:
        now_ms = to_ms(now)
        slots = [self._slot(w, now_ms) for w in windows]
        tallies: list[Tally] = []
        for window, slot in zip(windows, slots, strict=True):
            slot.spent += units
            if slot.spent + slot.reserved >= slot.alert_at:
                tallies.append(self._claim(window, slot))
        return tallies

    async def _tally(self, window: Window, now: datetime) -> tuple[int, int]:
        slot = self._slot(window, to_ms(now))
        return slot.spent, slot.reserved

    def _slot(self, window: Window | None, now_ms: int, *, key: str = "") -> _Slot:
        """The window's slot, created if new, its expired leases purged."""
        if now_ms >= self._next_sweep:
            self._sweep(now_ms)
        if window is not None:
            key = window.key
        slot = self._slots.get(key)
        if slot is None:
            if window is None:
                drop_ms = now_ms + int(FALLBACK_TTL.total_seconds() * 1000)
                alert_at = _NEVER
            else:
                drop_ms = window.drop_ms
                alert_at = min(window.threshold_units(self.thresholds), default=_NEVER)
            slot = self._slots[key] = _Slot(drop_ms, alert_at)
        elif now_ms >= slot.next_expiry:
            slot.purge(now_ms)
        return slot

    def _claim(self, window: Window | None, slot: _Slot) -> Tally:
        """The thresholds this change crossed for the first time (marked as fired)."""
        if window is None:
            return Tally(None, slot.spent, slot.reserved)
        used = slot.spent + slot.reserved
        pairs = list(zip(self.thresholds, window.threshold_units(self.thresholds), strict=True))
        crossed = tuple(
            threshold
            for threshold, units in pairs
            if used > 0 and used >= units and threshold not in slot.alerted
        )
        slot.alerted.update(crossed)
        slot.alert_at = min(
            (units for threshold, units in pairs if threshold not in slot.alerted), default=_NEVER
        )
        return Tally(window, slot.spent, slot.reserved, crossed)

    def _sweep(self, now_ms: int) -> None:
        """Forget ended windows, at most once an hour."""
        if now_ms < self._next_sweep:
            return
        self._next_sweep = now_ms + 3_600_000
        self._slots = {k: s for k, s in self._slots.items() if s.drop_ms > now_ms}
