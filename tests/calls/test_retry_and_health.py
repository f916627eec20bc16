"""The backoff between retries (tenacity's ceiling, injected jitter) and the breaker's one rule."""

from __future__ import annotations

import random

import pytest

from lockgate.calls.health import is_unhealthy
from lockgate.calls.retry import Backoff, full_jitter, retry_same
from lockgate.gate import RetrySettings
from lockgate.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)

SETTINGS = RetrySettings(attempts=5, initial_backoff_seconds=0.25, max_backoff_seconds=1.5)


def test_the_ceiling_doubles_from_the_initial_wait_up_to_the_maximum() -> None:
    backoff = Backoff(SETTINGS, jitter=lambda ceiling: ceiling)
    assert [backoff.delay(tries) for tries in range(1, 6)] == [0.25, 0.5, 1.0, 1.5, 1.5]


def test_the_jitter_is_injected_and_stays_below_the_ceiling() -> None:
    drawn: list[float] = []

    def jitter(ceiling: float) -> float:
        drawn.append(ceiling)
        return ceiling / 4

    assert Backoff(SETTINGS, jitter=jitter).delay(2) == 0.125
    assert drawn == [0.5]
    seeded = [Backoff(SETTINGS, full_jitter(random.Random(7))).delay(3) for _ in range(2)]
    assert seeded[0] == seeded[1]  # reproducible from the seed
    assert 0 <= seeded[0] <= 1.0


def error(kind: type[ProviderError]) -> ProviderError:
    return kind("upstream said no", provider="p")


@pytest.mark.parametrize(
    ("kind", "unhealthy", "same_again"),
    [
        (ProviderUnavailable, True, True),
        (ProviderTimeout, True, True),
        (ProviderBadResponse, True, False),
        (ProviderRateLimited, False, False),
        (ProviderBadRequest, False, False),
        (ProviderAuthError, False, False),
    ],
)
def test_one_rule_for_the_breaker_and_one_for_retrying_the_same_candidate(
    kind: type[ProviderError], unhealthy: bool, same_again: bool
) -> None:
    assert is_unhealthy(error(kind)) is unhealthy
    assert retry_same(error(kind)) is same_again
