"""OpenAI's wire format: reading requests, writing responses and stream chunks exactly.

Parsing is by hand on the decoded JSON (not a pydantic model): bodies carry parameters we do not
interpret (``tools``, ``response_format``, ``seed``, …) that pass through untouched, and the hot
path should not validate what it only forwards.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from lockgate.errors import BadRequest
from lockgate.providers.base import ChatMessage, Role, Usage
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, REPLY_PRIMING

# Parameters we set ourselves (or that would change what the budget reserved).
HANDLED = frozenset(
    {"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n"}
)
ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
}
# Tool results: passed through to OpenAI-compatible providers only.
TOOL_ROLES = frozenset({"tool", "function"})
TOOL_PARAMS = frozenset(
    {"tools", "tool_choice", "functions", "function_call", "parallel_tool_calls"}
)


class InvalidRequest(BadRequest):
    code = "invalid_request_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(slots=True)
class ChatCall:
    """A parsed request. `messages` is its text (what a translating provider is sent);
    `raw_messages` go unchanged to OpenAI-compatible providers. `prompt_bound` bounds the
    prompt's tokens from the request's size (see `parse_chat`)."""

    model: str
    messages: list[ChatMessage]
    stream: bool
    include_usage: bool
    max_tokens: int | None
    temperature: float | None
    extra: dict[str, Any] = field(default_factory=dict)
    raw_messages: list[dict[str, Any]] = field(default_factory=list)
    uses_tools: bool = False
    prompt_bound: int = 0


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _content(value: Any, index: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise InvalidRequest(
                    "Only text content parts are supported.", f"messages[{index}].content"
                )
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    if value is None:
        return ""
    raise InvalidRequest("content must be a string or a list of parts.", f"messages[{index}]")


def parse_chat(body: dict[str, Any], size: int) -> ChatCall:
    """Check and read a chat completion request of `size` bytes.

    The prompt bound for the budget is `size` plus the per-message framing: everything the
    upstream can turn into prompt tokens (messages, tool definitions and results, a response
    schema) is in the body, JSON never encodes a string in fewer bytes than its UTF-8 form, and
    no BPE token covers less than one byte (providers/tokenizer.py).
    """
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model is required.", "model")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidRequest("messages must be a non-empty array.", "messages")
    messages = []
    uses_tools = not TOOL_PARAMS.isdisjoint(body)
    for index, item in enumerate(raw_messages):
        if not isinstance(item, dict):
            raise InvalidRequest("Each message must be an object.", f"messages[{index}]")
        name = str(item.get("role"))
        role = ROLES.get(name)
        if name in TOOL_ROLES or item.get("tool_calls") or item.get("function_call"):
            uses_tools = True
            _content(item.get("content"), index)
            continue
        if role is None:
            raise InvalidRequest(
                f"Unsupported role {item.get('role')!r} "
                "(system, developer, user, assistant, tool).",
                f"messages[{index}].role",
            )
        messages.append(ChatMessage(role=role, content=_content(item.get("content"), index)))
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise InvalidRequest("max_tokens must be a positive integer.", "max_tokens")
    temperature = body.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float) or not 0 <= temperature <= 2
    ):
        raise InvalidRequest("temperature must be between 0 and 2.", "temperature")
    if body.get("n", 1) != 1:
        raise InvalidRequest("Only n=1 is supported.", "n")
    options = body.get("stream_options") or {}
    return ChatCall(
        model=model,
        messages=messages,
        stream=bool(body.get("stream", False)),
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
        max_tokens=max_tokens,
        temperature=float(temperature) if temperature is not None else None,
        extra={k: v for k, v in body.items() if k not in HANDLED and k != "temperature"},
        raw_messages=raw_messages,
        uses_tools=uses_tools,
        prompt_bound=size + PER_MESSAGE_OVERHEAD * len(raw_messages) + REPLY_PRIMING,
    )


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage_body(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def completion(
    cid: str, model: str, content: str, finish: str, usage: Usage, provider: str
) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": usage_body(usage),
        "system_fingerprint": None,
        "lockgate": {"provider": provider},
    }


def chunk(
    cid: str, created: int, model: str, delta: dict[str, Any], finish: str | None = None
) -> bytes:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


def usage_chunk(cid: str, created: int, model: str, usage: Usage) -> bytes:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [],
        "usage": usage_body(usage),
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


def error_chunk(message: str, code: str) -> bytes:
    body = {"error": {"message": message, "type": "server_error", "code": code, "param": None}}
    return b"data: " + orjson.dumps(body) + b"\n\n"


DONE = b"data: [DONE]\n\n"
