"""How long to wait before retrying the same candidate, and whether to.

The ceiling is tenacity's exponential wait (``initial * 2**(tries-1)``, capped at the maximum);
the wait itself is full jitter below that ceiling, drawn from an injectable ``Jitter`` so tests
choose it (and never wait: the sleep is injected too). Only a retryable failure that is not a 429
is retried on the same candidate; a 429 goes straight to the next candidate.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tenacity import RetryCallState, wait_exponential

from lockgate.gate import RetrySettings
from lockgate.providers.errors import ProviderError, ProviderRateLimited

Jitter = Callable[[float], float]
"""Maps a ceiling in seconds to the wait actually slept, within ``[0, ceiling]``."""


def full_jitter(rng: random.Random) -> Jitter:
    """Uniform in ``[0, ceiling]`` from ``rng`` (seed it to make waits reproducible)."""
    return lambda ceiling: rng.uniform(0, ceiling)


def retry_same(error: ProviderError) -> bool:
    """Worth another try on the same candidate (a 429 is not: the next candidate is)."""
    return error.retryable and not isinstance(error, ProviderRateLimited)


class Backoff:
    def __init__(self, settings: RetrySettings, jitter: Jitter | None = None) -> None:
        self.attempts = settings.attempts
        self._ceiling = wait_exponential(
            multiplier=settings.initial_backoff_seconds, max=settings.max_backoff_seconds
        )
        self._jitter = jitter
        """None until a retry needs it: a runner is built per call, and seeding a generator from
        the OS on every call (almost none of which retry) costs more than the rest of this."""

    def ceiling(self, tries: int) -> float:
        """The longest wait after the ``tries``-th failed attempt (1-based)."""
        state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
        state.attempt_number = tries
        return float(self._ceiling(state))

    def delay(self, tries: int) -> float:
        if self._jitter is None:
            self._jitter = full_jitter(random.Random())
        return self._jitter(self.ceiling(tries))
