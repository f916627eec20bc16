"""What every budget backend shares: validation, windows, threshold calls (`BaseBudgetBackend`);
the backends (`memory`, `redis`) only store the money."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from lockgate.clock import Clock
from lockgate.gate._ids import new_id
from lockgate.gate.budget.policy import (
    DEFAULT_THRESHOLDS,
    BudgetLimit,
    BudgetStatus,
    Reservation,
    Tally,
    ThresholdHook,
    Window,
    _lease,
    _window_at,
    from_units,
    spend_units,
    to_units,
)
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate.budget")


class BaseBudgetBackend(ABC):
    """Validation, windows and threshold calls shared by the backends; they store the money."""

    def __init__(
        self,
        clock: Clock,
        *,
        on_threshold: ThresholdHook | None = None,
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    ) -> None:
        if any(not 0 < t <= 1 for t in thresholds) or len(set(thresholds)) != len(thresholds):
            raise ValueError(f"thresholds must be distinct ratios in (0, 1], got {thresholds}")
        self._clock = clock
        self._on_threshold = on_threshold
        self._thresholds = tuple(sorted(thresholds))

    async def reserve(
        self, limits: Sequence[BudgetLimit], amount: Decimal, *, lease_seconds: float
    ) -> Reservation:
        now = self._clock()
        units, windows, reservation = self.prepare(limits, amount, lease_seconds, now)
        tallies = await self._reserve(windows, units, reservation, now)
        if tallies:
            await self.announce(tallies)
        return reservation

    def prepare(
        self, limits: Sequence[BudgetLimit], amount: Decimal, lease_seconds: float, now: datetime
    ) -> tuple[int, list[Window], Reservation]:
        """The units, windows and (not yet made) reservation of a reserve at ``now``."""
        if not lease_seconds > 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
        units = to_units(amount)
        windows = self._windows(limits, now)
        reservation = Reservation(
            new_id(),
            from_units(units),
            tuple([w.key for w in windows]),
            now + _lease(lease_seconds),
            tuple(limits),
            tuple(windows),
        )
        return units, windows, reservation

    async def settle(self, reservation: Reservation, actual: Decimal) -> None:
        """Release the hold and add ``actual`` to spent, as it is: never clamped to the amount
        reserved, so a report above it leaves the windows over their limits (the next reserve
        is refused) rather than hiding the spend."""
        units = spend_units(actual)
        tallies = await self._release(reservation, self.held(reservation), units, self._clock())
        if tallies:
            await self.announce(tallies)

    async def refund(self, reservation: Reservation) -> None:
        await self._release(reservation, self.held(reservation), None, self._clock())

    async def record(self, limits: Sequence[BudgetLimit], amount: Decimal) -> None:
        units = to_units(amount)
        now = self._clock()
        await self.announce(await self._record(self._windows(limits, now), units, now))

    async def status(self, limit: BudgetLimit) -> BudgetStatus:
        now = self._clock()
        window = Window.at(limit, now)
        spent, reserved = await self._tally(window, now)
        return window.status(spent, reserved)

    @property
    def thresholds(self) -> tuple[float, ...]:
        return self._thresholds if self._on_threshold is not None else ()

    @property
    def clock(self) -> Clock:
        return self._clock

    @abstractmethod
    async def _reserve(
        self, windows: list[Window], units: int, reservation: Reservation, now: datetime
    ) -> list[Tally]:
        """Hold ``units`` in every window or raise `BudgetExceeded`, in one atomic step.

        Returns the tallies to announce (those without a crossed threshold may be left out)."""

    @abstractmethod
    async def _release(
        self,
        reservation: Reservation,
        windows: list[Window | None],
        actual: int | None,
        now: datetime,
    ) -> list[Tally]:
        """Once per reservation id: drop the hold and add ``actual`` (None: refund) to spent."""

    @abstractmethod
    async def _record(self, windows: list[Window], units: int, now: datetime) -> list[Tally]: ...

    @abstractmethod
    async def _tally(self, window: Window, now: datetime) -> tuple[int, int]:
        """(spent, reserved) of a window, after purging expired leases."""

    @staticmethod
    def _windows(limits: Sequence[BudgetLimit], now: datetime) -> list[Window]:
        if now.tzinfo is None:
            raise ValueError("the budget clock must return timezone-aware datetimes")
        at = now.timestamp()
        windows = [_window_at(limit, now, at) for limit in limits]
        if len(windows) > 1 and len({w.key for w in windows}) != len(windows):
            raise ValueError(f"the same budget window is named twice: {[w.key for w in windows]}")
        return windows

    @staticmethod
    def held(reservation: Reservation) -> list[Window | None]:
        """The windows a reservation holds money in (those it was made in, however late)."""
        if reservation.windows and len(reservation.windows) == len(reservation.scopes):
            return list(reservation.windows)
        if len(reservation.limits) != len(reservation.scopes):
            return [None] * len(reservation.scopes)
        pairs = zip(reservation.limits, reservation.scopes, strict=True)
        return [Window.from_key(limit, key) for limit, key in pairs]

    async def announce(self, tallies: Sequence[Tally]) -> None:
        """Call the threshold hook for every threshold the tallies crossed (failures logged)."""
        if self._on_threshold is None:
            return
        for tally in tallies:
            if tally.window is None:
                continue
            for threshold in tally.crossed:
                status = tally.window.status(tally.spent, tally.reserved)
                try:
                    result = self._on_threshold(status, threshold)
                    if inspect.isawaitable(result):
                        await result
                except Exception:  # the money already moved; an alert must not undo it
                    log.exception("budget_threshold_hook_failed", scope=status.scope)
