"""The one place errors become responses: ``{"error": {"code", "message"}}``, never a trace."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from lockgate.errors import AppError
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.errors")

HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options"})
HTTP_CODES = {
    # FastAPI raises a bare 400 only when it cannot decode the body (e.g. invalid UTF-8).
    400: ("malformed_json", "The request body could not be read as JSON."),
    401: ("not_authenticated", "Sign in to continue."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
}


OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


# Anthropic's error types by status, for ``/v1/messages`` (see `anthropic_error`).
ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
ANTHROPIC_PREFIX = "/v1/messages"
OVERLOADED = 529  # Anthropic's status for "overloaded"; the SDKs raise OverloadedError


def anthropic_error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    """(status, body) of an error in Anthropic's shape, for ``/v1/messages`` and its stream:
    ``{"type": "error", "error": {"type", "message", "details": {"error_code"}}}``, so the
    ``anthropic`` SDK raises its usual exception for the status (``RateLimitError`` for a spent
    budget or a key's limit, ``AuthenticationError``, ``PermissionDeniedError``, ...) and its
    ``error_code`` is Lockgate's stable code. A 503 (overload shedding, open breakers, budgets
    that cannot be checked) is Anthropic's 529 ``overloaded_error``: its clients back off and
    retry it. A 422 (a prompt too long for the model's context window) is Anthropic's 400."""
    if status == 503:
        status = OVERLOADED
    elif status == 422:  # Anthropic answers every invalid request 400 (context too long too)
        status = 400
    kind = ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    error = {"type": kind, "message": message, "details": {"error_code": code}}
    return status, {"type": "error", "error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    path: str = "",
    param: str | None = None,
) -> JSONResponse:
    """Our shape everywhere; OpenAI's (``message, type, code, param``) under ``/v1/`` so SDK
    clients raise their usual exceptions, and Anthropic's under ``/v1/messages``."""
    if path.startswith(ANTHROPIC_PREFIX):
        if param and not message.startswith(param):
            message = f"{param}: {message}"
        status, anthropic = anthropic_error(status, code, message)
        return JSONResponse(anthropic, status_code=status, headers=headers)
    if path.startswith("/v1/"):
        kind = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "api_error")
        if code == "budget_exceeded":
            kind = "insufficient_quota"
        body = {"error": {"message": message, "type": kind, "code": code, "param": param}}
        return JSONResponse(body, status_code=status, headers=headers)
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(
        exc.status,
        exc.code,
        exc.message,
        exc.headers,
        path=request.url.path,
        param=getattr(exc, "param", None),
    )


def _describe(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
    where = ".".join(loc)
    msg = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


async def validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    path = request.url.path
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(
            400, "malformed_json", "The request body is not valid JSON.", path=path
        )
    message = "; ".join(_describe(e) for e in errors[:5]) or "The request is not valid."
    return error_response(422, "validation_error", message, path=path)


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def allowed_methods(request: Request) -> str | None:
    """Every documented method of this path, for a 405's ``Allow`` (RFC 9110 requires it).

    The router names only the first route that matched the path, so ``OPTIONS`` on a path with
    a GET and a POST route advertised one of them; the OpenAPI document (built once) has them
    all, and is what a client reads.
    """
    app = request.app
    if not isinstance(app, FastAPI):
        return None
    for template, item in app.openapi().get("paths", {}).items():
        if _path_pattern(template).fullmatch(request.url.path):
            methods = {m.upper() for m in item if m in HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")
            return ", ".join(sorted(methods))
    return None


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("error", "The request failed."))
    if exc.status_code == 404:
        message = "No such API route." if _request.url.path.startswith("/api") else "Not found."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Not in the document: a route Starlette named, else the static web UI (GET and HEAD).
        headers["Allow"] = allowed_methods(_request) or headers.get("Allow") or "GET, HEAD"
    return error_response(exc.status_code, code, message, headers, path=_request.url.path)


async def unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.error("unhandled_error", request_id=request_id, exc_info=exc, path=request.url.path)
    message = f"Something went wrong on our side (request id {request_id}). It has been logged."
    return error_response(500, "internal_error", message, path=request.url.path)


async def client_gone_handler(request: Request, _exc: Exception) -> Response:
    """The client hung up while we read its request: nobody is left to answer (nginx's 499)."""
    log.info("client_disconnected", path=request.url.path)
    return Response(status_code=499)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClientDisconnect, client_gone_handler)
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_handler)
