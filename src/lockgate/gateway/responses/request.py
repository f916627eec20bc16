"""Reading a ``POST /v1/responses`` body: the fields Lockgate reads, strictly (params.py style),
with OpenAI's 400 and the ``param`` path of the offending field (``input[2].call_id``).

``input`` is a string (one user message) or a list of items: messages (``role`` user, system,
developer or assistant; ``content`` a string or parts), ``function_call`` and
``function_call_output`` items, and the items only the OpenAI Responses API itself understands
(``reasoning``, hosted tool calls…), which are kept for an upstream that serves it. Whether an
item, tool or parameter can be honoured depends on the upstream: that is decided per candidate
(see translate.py); here only its shape is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lockgate.gateway.params import (
    MAX_MODEL_NAME,
    MAX_OUTPUT_TOKENS,
    InvalidRequest,
    flag,
    integer,
    number,
    obj,
    text,
)

MESSAGE_ROLES = frozenset({"user", "system", "developer", "assistant"})
TEXT_PARTS = frozenset({"input_text", "output_text"})
# Parts the gateway cannot bound in the budget yet (their token cost is not in the body's size).
MEDIA_PARTS = frozenset({"input_image", "input_file", "input_audio"})
# Items Lockgate reads; any other typed item is the Responses API's own (passed through only).
READ_ITEMS = frozenset({"message", "function_call", "function_call_output"})
# Parameters read here; the rest of the body passes through to a Responses upstream.
HANDLED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "max_output_tokens",
        "temperature",
        "top_p",
        "text",
        "metadata",
        "store",
        "previous_response_id",
        "stream",
        "stream_options",
        "parallel_tool_calls",
        "reasoning",
    }
)
TOOL_CHOICES = frozenset({"none", "auto", "required"})
FORMATS = frozenset({"text", "json_object", "json_schema"})
SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RESPONSE_ID = re.compile(r"^resp_[A-Za-z0-9]{1,64}$")
MAX_METADATA = 16  # OpenAI's limits: 16 pairs, keys up to 64 characters, values up to 512
MAX_INSTRUCTIONS = 1_000_000


@dataclass(slots=True)
class ResponsesCall:
    """A parsed request. `items` is this request's input as a list of items (a string input is
    one user message); `body` is the whole client body (what a Responses upstream gets, with
    the fields Lockgate owns replaced)."""

    model: str
    items: list[dict[str, Any]]
    body: dict[str, Any]
    stream: bool
    store: bool
    instructions: str | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    hosted_tools: list[int] = field(default_factory=list)  # indices of non-function tools
    tool_choice: Any = None
    text_format: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    previous_response_id: str | None = None
    parallel_tool_calls: bool | None = None
    reasoning: dict[str, Any] | None = None

    @property
    def extra(self) -> dict[str, Any]:
        """Body fields Lockgate does not read (null ones left out)."""
        return {k: v for k, v in self.body.items() if k not in HANDLED and v is not None}


def user_message(content: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": content}],
    }


def _string(item: dict[str, Any], name: str, where: str, *, empty: bool = False) -> str:
    value = item.get(name)
    if not isinstance(value, str) or (not empty and not value):
        raise InvalidRequest(f"{where}.{name} must be a non-empty string.", f"{where}.{name}")
    return value


def _part(part: Any, role: str, where: str) -> None:
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        raise InvalidRequest("Each content part must be an object with a type.", where)
    kind = part["type"]
    if kind in TEXT_PARTS:
        _string(part, "text", where, empty=True)
    elif kind == "refusal" and role == "assistant":
        _string(part, "refusal", where, empty=True)
    elif kind in MEDIA_PARTS:
        raise InvalidRequest(
            f"{kind} parts are not supported on /v1/responses; send text parts.", f"{where}.type"
        )
    else:
        raise InvalidRequest(f"Unsupported content part type {kind!r}.", f"{where}.type")


def _message(item: dict[str, Any], where: str) -> None:
    role = item.get("role")
    if not isinstance(role, str) or role not in MESSAGE_ROLES:
        raise InvalidRequest(
            "role must be one of user, system, developer, assistant.", f"{where}.role"
        )
    content = item.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise InvalidRequest("content must be a string or an array of parts.", f"{where}.content")
    for index, part in enumerate(content):
        _part(part, role, f"{where}.content[{index}]")


def _output(item: dict[str, Any], where: str) -> None:
    output = item.get("output")
    if isinstance(output, str):
        return
    if isinstance(output, list):
        for index, part in enumerate(output):
            _part(part, "tool", f"{where}.output[{index}]")
        return
    raise InvalidRequest("output must be a string or an array of parts.", f"{where}.output")


def check_item(item: Any, where: str) -> dict[str, Any]:
    """`item` as an input item (a message without a type gets ``type: message``)."""
    if not isinstance(item, dict):
        raise InvalidRequest("Each input item must be an object.", where)
    kind = item.get("type", "message" if "role" in item else None)
    if not isinstance(kind, str):
        raise InvalidRequest("Each input item needs a type (or a role).", f"{where}.type")
    if kind == "message":
        _message(item, where)
        return {**item, "type": "message"}
    if kind == "function_call":
        _string(item, "call_id", where)
        _string(item, "name", where)
        _string(item, "arguments", where, empty=True)
    elif kind == "function_call_output":
        _string(item, "call_id", where)
        _output(item, where)
    elif kind == "item_reference":
        raise InvalidRequest(
            "item_reference items are not supported; send the item itself, or use "
            "previous_response_id.",
            f"{where}.type",
        )
    return item


def _input(body: dict[str, Any]) -> list[dict[str, Any]]:
    raw = body.get("input")
    if isinstance(raw, str):
        return [user_message(raw)]
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest("input must be a string or a non-empty array of items.", "input")
    return [check_item(item, f"input[{index}]") for index, item in enumerate(raw)]


def _tools(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
    raw = body.get("tools")
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        raise InvalidRequest("tools must be an array.", "tools")
    hosted = []
    for index, tool in enumerate(raw):
        where = f"tools[{index}]"
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise InvalidRequest("Each tool must be an object with a type.", where)
        if tool["type"] != "function":
            hosted.append(index)
            continue
        _string(tool, "name", where)
        if tool.get("parameters") is not None and not isinstance(tool["parameters"], dict):
            raise InvalidRequest("parameters must be a JSON Schema object.", f"{where}.parameters")
        if tool.get("description") is not None and not isinstance(tool["description"], str):
            raise InvalidRequest("description must be a string.", f"{where}.description")
        flag(tool, "strict")
    return raw, hosted


def _tool_choice(body: dict[str, Any]) -> Any:
    choice = body.get("tool_choice")
    if choice is None or (isinstance(choice, str) and choice in TOOL_CHOICES):
        return choice
    if isinstance(choice, dict) and isinstance(choice.get("type"), str):
        if choice["type"] == "function":
            _string(choice, "name", "tool_choice")
        return choice
    raise InvalidRequest(
        "tool_choice must be none, auto, required or a tool choice object.", "tool_choice"
    )


def _text_format(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = obj(obj(body, "text"), "format")
    if not fmt:
        return None
    kind = fmt.get("type")
    if not isinstance(kind, str) or kind not in FORMATS:
        raise InvalidRequest(
            "text.format.type must be text, json_object or json_schema.", "text.format.type"
        )
    if kind == "json_schema":
        name = fmt.get("name")
        if not isinstance(name, str) or not SCHEMA_NAME.match(name):
            raise InvalidRequest(
                "text.format.name must be 1 to 64 letters, digits, _ or -.", "text.format.name"
            )
        if not isinstance(fmt.get("schema"), dict):
            raise InvalidRequest("text.format.schema must be an object.", "text.format.schema")
        flag(fmt, "strict")
    return None if kind == "text" else fmt


def _metadata(body: dict[str, Any]) -> dict[str, str] | None:
    raw = body.get("metadata")
    if raw is None:
        return None
    ok = isinstance(raw, dict) and len(raw) <= MAX_METADATA
    if ok:
        ok = all(isinstance(v, str) and len(k) <= 64 and len(v) <= 512 for k, v in raw.items())
    if not ok:
        raise InvalidRequest(
            f"metadata must be at most {MAX_METADATA} string pairs (keys up to 64 characters, "
            "values up to 512).",
            "metadata",
        )
    return dict(raw)


def _previous(body: dict[str, Any]) -> str | None:
    value = body.get("previous_response_id")
    if value is None:
        return None
    if not isinstance(value, str) or not RESPONSE_ID.match(value):
        raise InvalidRequest(
            "previous_response_id must be the id of a response (resp_…).", "previous_response_id"
        )
    return value


def parse_request(body: dict[str, Any]) -> ResponsesCall:
    """Check and read a Responses request body."""
    model = text(body, "model", MAX_MODEL_NAME, required=True)
    assert model is not None  # required
    items = _input(body)
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise InvalidRequest("instructions must be a string.", "instructions")
    if instructions is not None and len(instructions) > MAX_INSTRUCTIONS:
        raise InvalidRequest("instructions is too long.", "instructions")
    tools, hosted = _tools(body)
    reasoning = obj(body, "reasoning") or None
    if body.get("background"):
        raise InvalidRequest("Background responses are not supported.", "background")
    if body.get("conversation") is not None:
        raise InvalidRequest(
            "Conversations are not supported; chain responses with previous_response_id.",
            "conversation",
        )
    obj(body, "stream_options")
    store = flag(body, "store")
    return ResponsesCall(
        model=model,
        items=items,
        body=body,
        stream=bool(flag(body, "stream")),
        store=True if store is None else store,
        instructions=instructions or None,
        max_output_tokens=integer(body, "max_output_tokens", 16, MAX_OUTPUT_TOKENS),
        temperature=number(body, "temperature", 0, 2),
        top_p=number(body, "top_p", 0, 1),
        tools=tools,
        hosted_tools=hosted,
        tool_choice=_tool_choice(body),
        text_format=_text_format(body),
        metadata=_metadata(body),
        previous_response_id=_previous(body),
        parallel_tool_calls=flag(body, "parallel_tool_calls"),
        reasoning=reasoning,
    )
