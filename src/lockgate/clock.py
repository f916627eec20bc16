"""Injectable time, so expiry and window logic is tested without waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def epoch_seconds(clock: Clock) -> Callable[[], float]:
    """``clock`` as epoch seconds, for parts that count in floats (the HTTP rate limiter).

    The system clock maps to ``time.time`` (no datetime built per request); an injected clock
    is read through, so a test that moves it moves every window with it.
    """
    if clock is system_clock:
        return time.time
    return lambda: clock().timestamp()


class FakeClock:
    """A clock tests move by hand. Example: ``clock.advance(seconds=61)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
