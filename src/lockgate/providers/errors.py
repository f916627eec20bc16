"""Every way an upstream call can fail, as one small exception tree.

Callers decide what to do from the class alone (fall back, open the breaker, tell the user),
never by parsing messages or HTTP statuses::

    ProviderError                  (provider, message, status, retryable, code)
     ├── ProviderRateLimited       429; `retry_after` seconds when the upstream said   retryable
     ├── ProviderUnavailable       5xx, connection refused/reset, stream cut           retryable
     ├── ProviderTimeout           connect/read/write/pool timeout, HTTP 408           retryable
     ├── ProviderBadRequest        other 4xx: the request itself is wrong              not retryable
     ├── ProviderAuthError         401/403: the key is missing, wrong or not allowed   not retryable
     └── ProviderBadResponse       malformed JSON, a stream ending without its         not retryable
                                   terminator, a body missing required fields

Mapping of transport errors (`error_from_httpx`): `TimeoutException` -> Timeout; `ConnectError`,
`ReadError`, `WriteError`, `ProxyError` and `RemoteProtocolError` -> Unavailable. A
`RemoteProtocolError` mid-stream means the connection dropped (peer closed without finishing the
chunked body), which is a transport failure worth retrying elsewhere, so it is Unavailable, like
the simulated provider's "stream cut"; a stream that ends *cleanly* but without its terminator is
the server misbehaving, hence BadResponse.

Messages are safe to show and log: they never contain the API key (`redact` removes it even when
an upstream echoes it back) and are truncated.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

MAX_MESSAGE_CHARS = 300


class ProviderError(Exception):
    """Base of the tree; `code` is stable and goes to clients and metrics labels.

    `status` is the upstream HTTP status; for an error reported inside a 200 stream it is the
    status that error type stands for (Anthropic `overloaded_error` -> 529), and None for
    transport failures.
    """

    code: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, provider: str, status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.provider}: {self.message}"


class ProviderRateLimited(ProviderError):
    code: ClassVar[str] = "provider_rate_limited"
    retryable: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    code: ClassVar[str] = "provider_unavailable"
    retryable: ClassVar[bool] = True


class ProviderTimeout(ProviderError):
    code: ClassVar[str] = "provider_timeout"
    retryable: ClassVar[bool] = True


class ProviderBadRequest(ProviderError):
    code: ClassVar[str] = "provider_bad_request"


class ProviderAuthError(ProviderError):
    code: ClassVar[str] = "provider_auth_error"


class ProviderBadResponse(ProviderError):
    code: ClassVar[str] = "provider_bad_response"


def redact(text: str, secret: str | None) -> str:
    """Remove `secret` from `text` and cap its length, so it can go into an exception."""
    if secret:
        text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return text


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    retry_after: float | None = None,
) -> ProviderError:
    """The exception for a non-2xx upstream status.

    >>> type(error_for_status(503, "busy", provider="openai")).__name__
    'ProviderUnavailable'
    """
    if status == 429:
        return ProviderRateLimited(
            message, provider=provider, status=status, retry_after=retry_after
        )
    if status in (401, 403):
        return ProviderAuthError(message, provider=provider, status=status)
    if status == 408:
        return ProviderTimeout(message, provider=provider, status=status)
    if 400 <= status < 500:
        return ProviderBadRequest(message, provider=provider, status=status)
    if status >= 500:
        return ProviderUnavailable(message, provider=provider, status=status)
    return ProviderBadResponse(message, provider=provider, status=status)


def error_from_httpx(exc: httpx.HTTPError, *, provider: str, secret: str | None) -> ProviderError:
    """Translate an httpx exception (see the module docstring for the mapping and why)."""
    message = redact(f"{type(exc).__name__}: {exc}", secret)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeout(message, provider=provider)
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError):
        return ProviderUnavailable(message, provider=provider)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return ProviderBadRequest(message, provider=provider)
    if isinstance(exc, httpx.TransportError):
        return ProviderUnavailable(message, provider=provider)
    return ProviderBadResponse(message, provider=provider)
