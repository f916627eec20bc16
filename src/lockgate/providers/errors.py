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

Mapping of transport errors (`error_from_aiohttp`): any timeout (`asyncio.TimeoutError`, which
aiohttp's `ServerTimeoutError`, `ConnectionTimeoutError` and `SocketTimeoutError` all are) ->
Timeout; an invalid or non-HTTP URL (`InvalidURL`, `NonHttpUrlClientError`) -> BadRequest, since
it is our own configuration that is wrong, as is a request aiohttp refuses to build (a ValueError,
e.g. a configured header containing a newline); every other client error -> Unavailable: refused or
reset connections (`ClientConnectionError`, `ClientOSError`), `ServerDisconnectedError`, a proxy
refusing us, a malformed HTTP response, and `ClientPayloadError` (the body was cut: the peer closed
before the end of a chunked or Content-Length body, or its compression was broken). A body cut
mid-stream is a transport failure worth retrying elsewhere, so it is Unavailable, like the
simulated provider's "stream cut"; a stream that ends *cleanly* but without its terminator is the
server misbehaving, hence BadResponse.

**Two messages per error.** ``message`` is the *detail*: the upstream's own text, or ours about
a transport failure. It never contains the API key (`redact` removes it even when an upstream
echoes it back) and is truncated, but it is still whatever the upstream chose to write (a stack
trace, ``exploded at /srv/internal/db.py line 42``, an organisation id), so it goes to logs and to
admins only. ``public_message`` is a short text written by us, one per class, with the stable
``code``: that is what users see (chat errors, saved replies, ``/health/providers``, images).
`ProviderError.public` picks the message for a client::

    error.public()                 # always the class's own text
    error.public(requester=True)   # for the one who wrote the request (the /v1 key holder):
                                   # a bad request's detail is about their own request, so it is
                                   # appended (capped); never for 5xx, 429, auth or transport
"""

from __future__ import annotations

from typing import ClassVar

import aiohttp

MAX_MESSAGE_CHARS = 300
MAX_REQUESTER_DETAIL_CHARS = 200
"""How much of a bad request's detail a /v1 key holder sees (the rest is in the logs)."""


class ProviderError(Exception):
    """Base of the tree; `code` is stable and goes to clients and metrics labels.

    `status` is the upstream HTTP status; for an error reported inside a 200 stream it is the
    status that error type stands for (Anthropic `overloaded_error` -> 529), and None for
    transport failures. ``message`` is the detail (logs, admins); `public_message` what users
    see (see the module docstring).
    """

    code: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False
    public_message: ClassVar[str] = "The model provider failed to answer."
    about_the_request: ClassVar[bool] = False
    """Whether the detail is the upstream's verdict on the request itself, so the one who wrote
    that request may read it (`public` with ``requester=True``)."""
    injected: bool = False
    """True for a failure the simulated provider injected because one request asked for it
    (a `[[fail:...]]` directive): it says nothing about the provider, so it must not set
    provider-wide state such as a 429's Retry-After block or the last error every user sees."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        shareable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.status = status
        self.shareable = type(self).about_the_request if shareable is None else shareable
        """`about_the_request` unless told otherwise (our own configuration is at fault)."""

    @property
    def detail(self) -> str:
        """The upstream's (or transport's) own text: for logs and admins, never for users."""
        return self.message

    def public(self, *, requester: bool = False) -> str:
        """The message a client sees: ours, plus (for ``requester``, the author of the request,
        when the detail is about that request) the detail, capped."""
        if not (requester and self.shareable and self.message):
            return self.public_message
        detail = self.message
        if len(detail) > MAX_REQUESTER_DETAIL_CHARS:
            detail = detail[: MAX_REQUESTER_DETAIL_CHARS - 1] + "…"
        return f"{self.public_message.removesuffix('.')}: {detail}"

    def __str__(self) -> str:
        return f"{self.provider}: {self.message}"


class ProviderRateLimited(ProviderError):
    code: ClassVar[str] = "provider_rate_limited"
    retryable: ClassVar[bool] = True
    public_message: ClassVar[str] = "The model provider is rate limiting us; try again shortly."

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = 429,
        retry_after: float | None = None,
        shareable: bool | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status, shareable=shareable)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    code: ClassVar[str] = "provider_unavailable"
    retryable: ClassVar[bool] = True
    public_message: ClassVar[str] = "The model provider failed or could not be reached."


class ProviderTimeout(ProviderError):
    code: ClassVar[str] = "provider_timeout"
    retryable: ClassVar[bool] = True
    public_message: ClassVar[str] = "The model provider took too long to answer."


class ProviderBadRequest(ProviderError):
    code: ClassVar[str] = "provider_bad_request"
    public_message: ClassVar[str] = "The model provider refused the request."
    about_the_request: ClassVar[bool] = True


class ProviderAuthError(ProviderError):
    code: ClassVar[str] = "provider_auth_error"
    public_message: ClassVar[str] = (
        "The model provider refused Lockgate's credentials; an administrator must check them."
    )


class ProviderBadResponse(ProviderError):
    code: ClassVar[str] = "provider_bad_response"
    public_message: ClassVar[str] = "The model provider sent an answer Lockgate could not read."


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


TransportFailure = aiohttp.ClientError | OSError | ValueError
"""What an aiohttp call can raise besides a response: its own errors, socket errors (timeouts are
OSErrors too) and the ValueError of a request it refuses to build (a header with a newline)."""


def error_from_aiohttp(
    exc: TransportFailure, *, provider: str, secret: str | None
) -> ProviderError:
    """Translate an aiohttp (or socket) exception; see the module docstring for the mapping.

    >>> type(error_from_aiohttp(aiohttp.ServerDisconnectedError(), provider="p", secret=None))
    <class 'lockgate.providers.errors.ProviderUnavailable'>
    """
    detail = str(exc)
    message = redact(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__, secret)
    if isinstance(exc, TimeoutError):
        return ProviderTimeout(message, provider=provider)
    if isinstance(exc, ValueError | aiohttp.NonHttpUrlClientError):
        # Our configuration (URL, headers) is wrong, not the request: no one but admins reads it.
        return ProviderBadRequest(message, provider=provider, shareable=False)
    return ProviderUnavailable(message, provider=provider)
