"""The one rule for what a failed call says about the provider's health (the breaker's input).

A provider that is down, slow or answering garbage is unhealthy: its breaker counts the failure.
A 429 (it is alive and pacing us), a bad request (our caller's fault), an auth error or a refusal
are not. Every paid call settles its ticket with this rule, so the breaker means the same thing
for chat, titles, web images and every ``/v1`` endpoint.
"""

from __future__ import annotations

from lockgate.providers.errors import (
    ProviderBadResponse,
    ProviderTimeout,
    ProviderUnavailable,
)

UNHEALTHY = (ProviderUnavailable, ProviderTimeout, ProviderBadResponse)


def is_unhealthy(exc: BaseException) -> bool:
    """True when the failure counts against the provider's breaker (5xx, timeout, malformed)."""
    return isinstance(exc, UNHEALTHY)


OUTCOME_LABELS = {
    "provider_rate_limited": "rate_limited",
    "provider_timeout": "timeout",
    "interrupted": "cancelled",
}


def outcome_label(error_code: str | None, *, cancelled: bool = False) -> str:
    """The ``outcome`` label of a provider call's metrics (success, error, timeout, ...)."""
    if error_code is None:
        return "cancelled" if cancelled else "success"
    return OUTCOME_LABELS.get(error_code, "error")
