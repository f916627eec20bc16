"""The one error tree of Lockgate.

Every expected failure is an :class:`AppError` with a stable ``code``, an HTTP ``status`` and a
message a person understands. One handler turns it into ``{"error": {"code", "message"}}``::

    AppError
     ├── BadRequest (400)            malformed_json, bad_request
     ├── NotAuthenticated (401)      not_authenticated, invalid_credentials, session_expired
     ├── Forbidden (403)             forbidden, csrf_failed, registration_closed, invalid_invite
     ├── NotFound (404)              not_found
     ├── Conflict (409)              email_taken, conflict
     ├── PayloadTooLarge (413)       payload_too_large
     ├── Unprocessable (422)         validation_error, weak_password, unknown_model, ...
     ├── RateLimited (429)           rate_limited (always with Retry-After)
     ├── ProviderFailed (502)        the provider error's code (provider_unavailable, ...)
     └── ServiceUnavailable (503)    unavailable, overloaded

A 500 (``internal_error``) is always a bug: it is logged with its traceback and the client only
sees a generic message and the request id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


class AppError(Exception):
    """Base of every error a client may see."""

    status: int = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.status = status or type(self).status
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class BadRequest(AppError):
    status = 400
    code = "bad_request"


class MalformedJSON(BadRequest):
    code = "malformed_json"
    message = "The request body is not valid JSON."


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    message = "Sign in to continue."


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message = "The email or password is incorrect."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class CSRFFailed(Forbidden):
    code = "csrf_failed"
    message = "Missing or invalid CSRF token: send the lockgate_csrf cookie value as X-CSRF-Token."


class RegistrationClosed(Forbidden):
    code = "registration_closed"
    message = "Registration is closed on this server."


class InvalidInvite(Forbidden):
    code = "invalid_invite"
    message = "The invite code is missing, used, revoked, expired or for another address."


class AccountDisabled(Forbidden):
    code = "account_disabled"
    message = "This account is disabled. Ask an administrator to enable it."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(AppError):
    status = 409
    code = "conflict"


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class Unprocessable(AppError):
    status = 422
    code = "validation_error"
    message = "The request is not valid."


class WeakPassword(Unprocessable):
    code = "weak_password"


class UnknownModel(Unprocessable):
    code = "unknown_model"
    message = "Unknown model."


class ProviderFailed(AppError):
    """502; ``code`` is the provider error's own (provider_unavailable, provider_timeout, ...)."""

    status = 502
    code = "provider_error"
    message = "The provider failed; try again later."


class RateLimited(AppError):
    """429 with a ``Retry-After`` (whole seconds, at least 1)."""

    status = 429
    code = "rate_limited"
    message = "Too many requests."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        merged = {"Retry-After": str(self.retry_after), **(headers or {})}
        super().__init__(message, code=code, headers=merged)


class ServiceUnavailable(AppError):
    status = 503
    code = "unavailable"
    message = "The service is temporarily unavailable."
