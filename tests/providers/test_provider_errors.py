import aiohttp
import pytest

from lockgate.providers import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from lockgate.providers.errors import (
    MAX_MESSAGE_CHARS,
    TransportFailure,
    error_from_aiohttp,
    redact,
)

TREE = [
    (ProviderRateLimited, "provider_rate_limited", True),
    (ProviderUnavailable, "provider_unavailable", True),
    (ProviderTimeout, "provider_timeout", True),
    (ProviderBadRequest, "provider_bad_request", False),
    (ProviderAuthError, "provider_auth_error", False),
    (ProviderBadResponse, "provider_bad_response", False),
]


@pytest.mark.parametrize(("cls", "code", "retryable"), TREE)
def test_each_error_has_a_stable_code_and_retryability(
    cls: type[ProviderError], code: str, retryable: bool
) -> None:
    error = cls("boom", provider="p")
    assert (isinstance(error, ProviderError), error.code, error.retryable) == (
        True,
        code,
        retryable,
    )


def test_str_names_the_provider() -> None:
    assert str(ProviderTimeout("read timed out", provider="openai")) == "openai: read timed out"


def test_redact_removes_the_secret_and_truncates() -> None:
    text = redact("key sk-123 " + "x" * 1000, "sk-123")
    assert ("sk-123" not in text, len(text)) == (True, MAX_MESSAGE_CHARS)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), ProviderTimeout),
        (aiohttp.ServerTimeoutError("t"), ProviderTimeout),
        (aiohttp.ConnectionTimeoutError("t"), ProviderTimeout),
        (aiohttp.SocketTimeoutError("t"), ProviderTimeout),
        (aiohttp.ServerDisconnectedError(), ProviderUnavailable),
        (aiohttp.ClientPayloadError("cut"), ProviderUnavailable),
        (aiohttp.ClientOSError(104, "reset"), ProviderUnavailable),
        (aiohttp.ClientConnectionResetError("reset"), ProviderUnavailable),
        (aiohttp.ClientConnectionError("refused"), ProviderUnavailable),
        (ConnectionResetError(104, "reset"), ProviderUnavailable),
        (aiohttp.InvalidUrlClientError("http://[bad"), ProviderBadRequest),
        (aiohttp.NonHttpUrlClientError("ftp://x"), ProviderBadRequest),
        (ValueError("Newline or carriage return character detected"), ProviderBadRequest),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else "",
)
def test_aiohttp_errors_are_translated(
    exc: TransportFailure, expected: type[ProviderError]
) -> None:
    assert type(error_from_aiohttp(exc, provider="p", secret=None)) is expected


def test_translated_errors_are_redacted_and_named() -> None:
    error = error_from_aiohttp(
        aiohttp.ClientConnectionError("bad sk-123"), provider="p", secret="sk-123"
    )
    assert error.message == "ClientConnectionError: bad [redacted]"


def test_an_empty_timeout_still_says_what_it_was() -> None:
    assert error_from_aiohttp(TimeoutError(), provider="p", secret=None).message == "TimeoutError"
