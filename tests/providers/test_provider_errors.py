import httpx
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
from lockgate.providers.errors import MAX_MESSAGE_CHARS, error_from_httpx, redact

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
        (httpx.ConnectTimeout("t"), ProviderTimeout),
        (httpx.PoolTimeout("t"), ProviderTimeout),
        (httpx.ReadError("r"), ProviderUnavailable),
        (httpx.RemoteProtocolError("r"), ProviderUnavailable),
        (httpx.UnsupportedProtocol("u"), ProviderBadRequest),
        (httpx.DecodingError("d"), ProviderBadResponse),
    ],
)
def test_httpx_errors_are_translated(exc: httpx.HTTPError, expected: type[ProviderError]) -> None:
    assert type(error_from_httpx(exc, provider="p", secret=None)) is expected
