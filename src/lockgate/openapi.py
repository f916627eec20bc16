"""The error body, as declared in OpenAPI for every endpoint."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DESCRIPTIONS = {
    400: "Malformed request (e.g. malformed_json, invalid_cursor)",
    401: "Not signed in, or the session expired or was revoked",
    403: "CSRF check failed, or not allowed",
    404: "Not found (or not yours: existence is never revealed)",
    409: "Conflict (e.g. email_taken)",
    413: "Request body too large",
    422: "Invalid input (validation_error, weak_password, unknown_model, ...)",
    429: "Rate limited (see Retry-After)",
    502: "The provider failed",
    503: "Temporarily unavailable (see Retry-After)",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in statuses}
