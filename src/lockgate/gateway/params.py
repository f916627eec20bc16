"""Reading the typed fields of an OpenAI request body, strictly, with OpenAI's own errors.

The ``/v1`` bodies are parsed by hand (see wire.py), so JSON's loose types would otherwise leak
in: in Python ``True == 1`` and ``isinstance(True, int)``, so ``max_tokens: true`` reached the
upstream as ``true``, ``n: true`` passed ``n == 1``, ``temperature: false`` was 0 and
``bool("false")`` streamed. Every field Lockgate reads goes through one of these; each refuses
what OpenAI refuses with a 400 ``invalid_request_error`` whose ``param`` names the field::

    >>> integer({"max_tokens": True}, "max_tokens", 1, 10)
    Traceback (most recent call last):
    InvalidRequest: max_tokens must be an integer between 1 and 10.

A field that is absent or ``null`` reads as ``None`` (OpenAI's default applies). Fields Lockgate
does not read are not looked at: they pass through to the upstream untouched.
"""

from __future__ import annotations

from typing import Any

from lockgate.errors import BadRequest

# The largest output limit anyone may ask for: bounds the budget's arithmetic (the model's own
# limit, usually far lower, is checked where the model is known).
MAX_OUTPUT_TOKENS = 10_000_000
MAX_EMBEDDING_INPUTS = 2048  # OpenAI's own limit
MAX_MODEL_NAME = 200  # characters


class InvalidRequest(BadRequest):
    """A 400 in OpenAI's shape: ``type`` and ``code`` ``invalid_request_error``, ``param``."""

    code = "invalid_request_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def integer(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    """A JSON integer in ``[low, high]``: not a boolean, not ``2.5``; ``2.0`` is 2 (as in JSON
    Schema), sent on as ``2``."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"{name} must be an integer between {low} and {high}.", name)
    return value


def number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    """A JSON number in ``[low, high]`` (an integer is one; a boolean is not)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(f"{name} must be a number between {low:g} and {high:g}.", name)
    return float(value)


def flag(body: dict[str, Any], name: str) -> bool | None:
    """A JSON boolean: the string ``"false"`` is not false (and must not be read as true)."""
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidRequest(f"{name} must be true or false.", name)


def text(body: dict[str, Any], name: str, max_length: int, *, required: bool = False) -> str | None:
    """A non-blank JSON string of at most ``max_length`` characters."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{name} must be a non-empty string.", name)
    if len(value) > max_length:
        raise InvalidRequest(f"{name} must be at most {max_length} characters.", name)
    return value


def obj(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A JSON object (absent or ``null``: empty)."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(f"{name} must be an object.", name)
    return value
