"""The OpenAPI document's shared parts: the error bodies, the statuses every operation can
answer, and Server-Sent Events.

Why a pass over the whole document (:func:`document_shared_errors`): some answers come from
machinery every route shares rather than from the route — the HTTP rate limit (429), the body
limit (413), a body that is not JSON (400 ``malformed_json``), validation (422), a missing or
wrong key on ``/v1`` (401). Declaring them route by route drifted (schemathesis found 15
undocumented statuses); one pass declares them wherever they can happen. Under ``/v1`` every
error has OpenAI's shape, so it is declared with :class:`OpenAIErrorBody`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, TypeAdapter

DESCRIPTIONS = {
    400: "Malformed request (e.g. malformed_json, invalid_cursor)",
    401: "Not signed in, or the session expired or was revoked",
    403: "CSRF check failed, or not allowed",
    404: "Not found (or not yours: existence is never revealed)",
    405: "Method not allowed (see Allow)",
    409: "Conflict (e.g. email_taken)",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input (validation_error, weak_password, unknown_model, ...)",
    429: "Rate limited (see Retry-After)",
    502: "The provider failed",
    503: "Temporarily unavailable (see Retry-After)",
}
GATEWAY_DESCRIPTIONS = {
    **DESCRIPTIONS,
    400: "invalid_request_error: malformed JSON, or a field of the wrong type or range (param)",
    401: "Missing, unknown, revoked or expired API key",
    403: "The key may not use this model",
    404: "Unknown model",
    422: "Invalid input",
    429: "Rate limited, or a budget is exhausted (see Retry-After)",
}
GATEWAY_PREFIX = "/v1/"
ANTHROPIC_PREFIX = "/v1/messages"
ANTHROPIC_DESCRIPTIONS = {
    **GATEWAY_DESCRIPTIONS,
    400: "invalid_request_error: malformed JSON, a field of the wrong type or range, an image "
    "that is not one, too many images, a model without vision",
    413: "request_too_large: the body, or an inline image, is too large",
    529: "overloaded_error: shed under load, or no provider can take calls (see Retry-After)",
}
REF_TEMPLATE = "#/components/schemas/{model}"
COMPONENTS_KEY = "x-lockgate-components"


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error under ``/api``: a stable ``code`` and a message for people."""

    error: ErrorDetail


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None
    param: str | None


class OpenAIErrorBody(BaseModel):
    """Every error under ``/v1``: OpenAI's shape, so the official SDKs raise their usual
    exceptions."""

    error: OpenAIErrorDetail


class AnthropicErrorCode(BaseModel):
    error_code: str


class AnthropicErrorDetail(BaseModel):
    type: str
    message: str
    details: AnthropicErrorCode


class AnthropicErrorBody(BaseModel):
    """Every error under ``/v1/messages``: Anthropic's shape (``error.details.error_code`` is
    Lockgate's stable code), so the ``anthropic`` SDKs raise their usual exceptions."""

    type: Literal["error"]
    error: AnthropicErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in statuses}


def sse_response(description: str, events: list[str] | Any) -> dict[int | str, dict[str, Any]]:
    """A 200 of Server-Sent Events. In OpenAPI 3.1 the ``schema`` of ``text/event-stream``
    describes one event (3.2 calls it ``itemSchema``): its ``event`` name and ``data``.

    ``events`` is either a list of names (the data stays an opaque JSON string) or a pydantic
    discriminated union of event models, each ``{event: Literal[name], data: <model>}``: then
    each event is published under ``components/schemas`` and ``data`` is the schema of the
    JSON document on the ``data:`` line. The components travel with the response under
    :data:`COMPONENTS_KEY` until :func:`document_shared_errors` moves them to their place, so
    a route's declaration is all it takes (no list of models to keep in step elsewhere)."""
    if isinstance(events, list):
        event: dict[str, Any] = {
            "type": "object",
            "properties": {
                "event": {"type": "string", "enum": events} if events else {"type": "string"},
                "data": {"type": "string", "description": "One JSON document (or [DONE])"},
                "id": {"type": "string"},
                "retry": {"type": "integer"},
            },
            "required": ["data"],
        }
        return {
            200: {"description": description, "content": {"text/event-stream": {"schema": event}}}
        }
    schema = TypeAdapter(events).json_schema(ref_template=REF_TEMPLATE, mode="serialization")
    components = schema.pop("$defs", {})
    event = {"type": "object", "required": ["data"], **schema}
    return {
        200: {
            "description": description,
            "content": {"text/event-stream": {"schema": event}},
            COMPONENTS_KEY: components,
        }
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _shared_statuses(path: str, operation: dict[str, Any]) -> set[int]:
    """The statuses this operation can answer whatever its handler does."""
    statuses = {429}  # the HTTP rate limit covers every route
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}  # malformed_json, payload_too_large
    if path.startswith(ANTHROPIC_PREFIX):
        statuses |= {401, 529}  # the key; overload shedding (Anthropic's status for it)
    elif path.startswith(GATEWAY_PREFIX):
        statuses |= {401, 503}  # the key; overload shedding
    return statuses


def _document(path: str, operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for response in responses.values():
        for name, schema in response.pop(COMPONENTS_KEY, {}).items():
            schemas.setdefault(name, schema)
    gateway = path.startswith(GATEWAY_PREFIX)
    anthropic = path.startswith(ANTHROPIC_PREFIX)
    descriptions = (
        ANTHROPIC_DESCRIPTIONS if anthropic else GATEWAY_DESCRIPTIONS if gateway else DESCRIPTIONS
    )
    for status in _shared_statuses(path, operation):
        responses.setdefault(str(status), {"description": descriptions[status]})
    if anthropic and "503" in responses:  # Anthropic's clients know it as 529
        responses.setdefault("529", {"description": descriptions[529]})
        del responses["503"]
    for status, response in responses.items():
        if not status.isdigit() or int(status) < 400:
            continue
        model = AnthropicErrorBody if anthropic else OpenAIErrorBody if gateway else ErrorBody
        response["content"] = {"application/json": {"schema": _ref(model)}}


def add_components(document: dict[str, Any], models: tuple[type[BaseModel], ...]) -> None:
    """Each model (and the models it uses) under ``components/schemas``, by name."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        for name, nested in schema.pop("$defs", {}).items():
            schemas.setdefault(name, nested)
        schemas.setdefault(model.__name__, schema)


def document_shared_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the shared statuses on every operation, with the error body of its API, and
    move the schemas a response carries (see :func:`sse_response`) to ``components``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete", "head", "options"):
                _document(path, operation, schemas)
    add_components(document, (ErrorBody, OpenAIErrorBody, AnthropicErrorBody))
    return document


def install_openapi(app: FastAPI, models: tuple[type[BaseModel], ...] = ()) -> None:
    """``app.openapi()`` with :func:`document_shared_errors` applied and `models` (bodies that
    routes read by hand, referenced from their ``openapi_extra``) added; built once, cached."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            add_components(document, models)
            app.openapi_schema = document_shared_errors(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
