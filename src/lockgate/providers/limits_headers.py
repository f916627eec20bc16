"""Parsing of the quota headers upstreams attach to every response, and of `Retry-After`.

OpenAI sends `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` with resets as Go-style
durations ("1s", "6m0s", "20ms"); Anthropic sends
`anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` with resets as RFC 3339 instants.
Both are turned into one `RateLimitInfo` with resets in seconds, so the gate never needs to know
which vendor it is looking at. Unparseable values become None rather than errors: a quota hint
must never fail a call that succeeded.

Headers come as any case-insensitive `Mapping[str, str]` (aiohttp's `CIMultiDictProxy`, httpx's
`Headers`): names are looked up in lower case, so a plain dict works only with lower-case keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from lockgate.providers.base import RateLimitInfo

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s|d)")
_UNIT_SECONDS = {
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "ns": 1e-9,
}


def _seconds(value: str) -> float | None:
    """A finite, non-negative number of seconds, or None ("inf" and "nan" are not waits)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return max(0.0, number) if math.isfinite(number) else None


def parse_duration(value: str) -> float | None:
    """Seconds in an OpenAI reset duration; a bare number counts as seconds.

    >>> parse_duration("6m0s"), parse_duration("20ms"), parse_duration("1h2m3.5s")
    (360.0, 0.02, 3723.5)
    """
    value = value.strip()
    if not value:
        return None
    if (seconds := _seconds(value)) is not None:
        return seconds
    parts = _DURATION_PART.findall(value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _seconds_until(value: str | None, now: datetime) -> float | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return max(0.0, (instant - now).total_seconds())


def _duration(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    return None if value is None else parse_duration(value)


def _nonempty(info: RateLimitInfo) -> RateLimitInfo | None:
    fields = (
        info.remaining_requests,
        info.remaining_tokens,
        info.reset_requests_s,
        info.reset_tokens_s,
        info.limit_requests,
        info.limit_tokens,
    )
    return info if any(field is not None for field in fields) else None


def parse_openai_rate_limit(headers: Mapping[str, str], now: datetime) -> RateLimitInfo | None:
    """`RateLimitInfo` from OpenAI-style headers, or None when the response carries none."""
    return _nonempty(
        RateLimitInfo(
            remaining_requests=_int(headers, "x-ratelimit-remaining-requests"),
            remaining_tokens=_int(headers, "x-ratelimit-remaining-tokens"),
            reset_requests_s=_duration(headers, "x-ratelimit-reset-requests"),
            reset_tokens_s=_duration(headers, "x-ratelimit-reset-tokens"),
            limit_requests=_int(headers, "x-ratelimit-limit-requests"),
            limit_tokens=_int(headers, "x-ratelimit-limit-tokens"),
            observed_at=now,
        )
    )


def parse_anthropic_rate_limit(headers: Mapping[str, str], now: datetime) -> RateLimitInfo | None:
    """`RateLimitInfo` from Anthropic headers; `now` turns reset instants into seconds."""
    prefix = "anthropic-ratelimit-"
    return _nonempty(
        RateLimitInfo(
            remaining_requests=_int(headers, prefix + "requests-remaining"),
            remaining_tokens=_int(headers, prefix + "tokens-remaining"),
            reset_requests_s=_seconds_until(headers.get(prefix + "requests-reset"), now),
            reset_tokens_s=_seconds_until(headers.get(prefix + "tokens-reset"), now),
            limit_requests=_int(headers, prefix + "requests-limit"),
            limit_tokens=_int(headers, prefix + "tokens-limit"),
            observed_at=now,
        )
    )


def parse_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` (seconds or an HTTP date)."""
    millis = _seconds(headers.get("retry-after-ms", ""))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    if (seconds := _seconds(value)) is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
