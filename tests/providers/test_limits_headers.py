import pytest
from multidict import CIMultiDict

from lockgate.providers import RateLimitInfo
from lockgate.providers.limits_headers import (
    parse_anthropic_rate_limit,
    parse_duration,
    parse_openai_rate_limit,
    parse_retry_after,
)
from tests.providers.wire import FIXED_NOW


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0s", 0.0),
        ("12", 12.0),
        ("2.5", 2.5),
    ],
)
def test_openai_durations_are_parsed(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "s1", "1s garbage", "inf", "nan"])
def test_unparseable_durations_are_none(text: str) -> None:
    assert parse_duration(text) is None


def test_response_without_quota_headers_gives_none() -> None:
    headers = CIMultiDict({"content-type": "text/event-stream"})
    assert parse_openai_rate_limit(headers, FIXED_NOW) is None


def test_header_names_are_case_insensitive() -> None:
    headers = CIMultiDict({"X-RateLimit-Remaining-Tokens": "10", "Retry-After": "3"})
    assert (parse_openai_rate_limit(headers, FIXED_NOW), parse_retry_after(headers, FIXED_NOW)) == (
        RateLimitInfo(remaining_tokens=10, observed_at=FIXED_NOW),
        3.0,
    )


def test_garbage_values_are_ignored_not_raised() -> None:
    headers = CIMultiDict(
        {"x-ratelimit-remaining-requests": "many", "x-ratelimit-remaining-tokens": "10"}
    )
    assert parse_openai_rate_limit(headers, FIXED_NOW) == RateLimitInfo(
        remaining_tokens=10, observed_at=FIXED_NOW
    )


def test_anthropic_reset_in_the_past_is_zero() -> None:
    headers = CIMultiDict({"anthropic-ratelimit-requests-reset": "2024-12-31T00:00:00Z"})
    info = parse_anthropic_rate_limit(headers, FIXED_NOW)
    assert info is not None
    assert info.reset_requests_s == 0.0


def test_anthropic_reset_without_timezone_is_ignored() -> None:
    headers = CIMultiDict({"anthropic-ratelimit-tokens-reset": "2025-01-01T12:00:10"})
    assert parse_anthropic_rate_limit(headers, FIXED_NOW) is None


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "30"}, 30.0),
        ({"retry-after": "Wed, 01 Jan 2025 12:01:00 GMT"}, 60.0),
        ({"retry-after": "Wed, 01 Jan 2025 11:00:00 GMT"}, 0.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(CIMultiDict(headers), FIXED_NOW) == seconds
