"""OpenAI's wire format: reading requests, writing responses and stream chunks exactly.

Parsing is by hand on the decoded JSON (not a pydantic model): bodies carry parameters we do not
interpret (``tools``, ``response_format``, ``seed``, …) that pass through untouched, and the hot
path should not validate what it only forwards. What it reads, it reads strictly (params.py).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from lockgate.gateway.params import (
    MAX_EMBEDDING_INPUTS,
    MAX_MODEL_NAME,
    MAX_OUTPUT_TOKENS,
    flag,
    integer,
    number,
    obj,
    text,
)
from lockgate.gateway.params import InvalidRequest as InvalidRequest  # wire.InvalidRequest
from lockgate.images.schemas import MAX_IMAGES, MAX_PROMPT_CHARS
from lockgate.providers.base import ChatMessage, Role, Usage
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, REPLY_PRIMING
from lockgate.vision.inputs import ImageInput, ImageLimits, read_data_url

NO_LIMITS = ImageLimits()

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


@dataclass(slots=True)
class ChatCall:
    """A parsed request. `messages` is its text (what a translating provider is sent);
    `raw_messages` go unchanged to OpenAI-compatible providers. `prompt_bound` bounds the
    prompt's text tokens from the request's size (see `parse_chat`); `images` are bounded per
    candidate (lockgate.vision)."""

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
    images: list[ImageInput] = field(default_factory=list)


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _image(part: dict[str, Any], where: str, limits: ImageLimits) -> ImageInput:
    """An ``image_url`` part: a data URL (checked, see lockgate.vision) or an http(s) URL
    (passed on, never fetched)."""
    image = part.get("image_url")
    if not isinstance(image, dict):
        raise InvalidRequest("image_url must be an object with a url.", where)
    detail = image.get("detail")
    if detail not in (None, "auto", "low", "high"):
        raise InvalidRequest("detail must be auto, low or high.", f"{where}.detail")
    return read_data_url(image.get("url"), limits, f"{where}.url", low=detail == "low")


def _content(
    value: Any, index: int, images: list[ImageInput] | None = None, limits: ImageLimits = NO_LIMITS
) -> str:
    """The text of a message's content; with `images` (a user message), ``image_url`` parts
    are read into it and stand in the text as a short placeholder (what a text-only provider
    is sent)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for number, part in enumerate(value):
            where = f"messages[{index}].content[{number}]"
            if images is not None and isinstance(part, dict) and part.get("type") == "image_url":
                image = _image(part, f"{where}.image_url", limits)
                images.append(image)
                parts.append(image.describe())
                continue
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                kinds = "text and image_url" if images is not None else "text"
                raise InvalidRequest(
                    f"Only {kinds} content parts are supported.", f"messages[{index}].content"
                )
            parts.append(part["text"])
        return "".join(parts)
    if value is None:
        return ""
    raise InvalidRequest("content must be a string or a list of parts.", f"messages[{index}]")


def parse_chat(body: dict[str, Any], size: int, limits: ImageLimits = NO_LIMITS) -> ChatCall:
    """Check and read a chat completion request of `size` bytes.

    The prompt bound for the budget is `size` plus the per-message framing: everything the
    upstream can turn into prompt tokens (messages, tool definitions and results, a response
    schema) is in the body, JSON never encodes a string in fewer bytes than its UTF-8 form, and
    no BPE token covers less than one byte (providers/tokenizer.py). Images are the exception:
    their bytes are taken out of the bound and each candidate adds its own image token bound
    (`ChatCall.images`, lockgate.vision).
    """
    model = text(body, "model", MAX_MODEL_NAME, required=True)
    assert model is not None  # required
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidRequest("messages must be a non-empty array.", "messages")
    messages = []
    images: list[ImageInput] = []
    uses_tools = not TOOL_PARAMS.isdisjoint(body)
    for index, item in enumerate(raw_messages):
        if not isinstance(item, dict):
            raise InvalidRequest("Each message must be an object.", f"messages[{index}]")
        name = item.get("role")
        if not isinstance(name, str):  # a dict or list is not even hashable
            name = repr(name)
        role = ROLES.get(name)
        if role is None and name not in TOOL_ROLES:
            raise InvalidRequest(
                f"Unsupported role {name!r} (system, developer, user, assistant, tool).",
                f"messages[{index}].role",
            )
        if role is None or item.get("tool_calls") or item.get("function_call"):
            uses_tools = True
            _content(item.get("content"), index)
            continue
        seen = images if role == "user" else None
        content = _content(item.get("content"), index, seen, limits)
        messages.append(ChatMessage(role=role, content=content))
    limits.check_count(len(images))
    legacy_max = integer(body, "max_tokens", 1, MAX_OUTPUT_TOKENS)
    max_tokens = integer(body, "max_completion_tokens", 1, MAX_OUTPUT_TOKENS) or legacy_max
    temperature = number(body, "temperature", 0, 2)
    if integer(body, "n", 1, 128) not in (None, 1):
        raise InvalidRequest("Only n=1 is supported.", "n")
    stream = bool(flag(body, "stream"))
    options = obj(body, "stream_options")
    include_usage = flag(options, "include_usage")
    return ChatCall(
        model=model,
        messages=messages,
        stream=stream,
        include_usage=bool(include_usage),
        max_tokens=max_tokens,
        temperature=temperature,
        extra={k: v for k, v in body.items() if k not in HANDLED and k != "temperature"},
        raw_messages=raw_messages,
        uses_tools=uses_tools,
        prompt_bound=size
        - sum(image.encoded for image in images)
        + PER_MESSAGE_OVERHEAD * len(raw_messages)
        + REPLY_PRIMING,
        images=images,
    )


@dataclass(frozen=True, slots=True)
class ImagesCall:
    """An image request, with the same limits as ``POST /api/v1/images``."""

    prompt: str
    n: int
    size: str | None
    model: str | None


def parse_images(body: dict[str, Any]) -> ImagesCall:
    prompt = text(body, "prompt", MAX_PROMPT_CHARS, required=True)
    assert prompt is not None  # required
    return ImagesCall(
        prompt=prompt,
        n=integer(body, "n", 1, MAX_IMAGES) or 1,
        size=text(body, "size", 32),
        model=text(body, "model", MAX_MODEL_NAME),
    )


def parse_embeddings(body: dict[str, Any]) -> tuple[str, list[str]]:
    """``(model, inputs)``: ``input`` is a string or a non-empty array of at most
    :data:`MAX_EMBEDDING_INPUTS` strings (OpenAI's own limit)."""
    model = text(body, "model", MAX_MODEL_NAME, required=True)
    assert model is not None  # required
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if (
        not isinstance(inputs, list)
        or not 1 <= len(inputs) <= MAX_EMBEDDING_INPUTS
        or not all(isinstance(i, str) for i in inputs)
    ):
        raise InvalidRequest(
            f"input must be a string or an array of 1 to {MAX_EMBEDDING_INPUTS} strings.", "input"
        )
    return model, inputs


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
