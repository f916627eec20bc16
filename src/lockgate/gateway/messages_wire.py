"""Anthropic's Messages API request, read strictly where Lockgate reads it (``/v1/messages``).

As with wire.py, the body is parsed by hand: an Anthropic upstream gets it as the client sent it
(only ``model`` and ``max_tokens`` rewritten), so fields Lockgate does not interpret
(``thinking``, ``cache_control`` marks, ``service_tier``...) pass through untouched. What it
reads it checks, with Anthropic's 400 ``invalid_request_error`` naming the field:

* ``model``, ``max_tokens`` (required, as Anthropic requires it), ``messages`` (user and
  assistant turns, content a string or blocks), ``system`` (a string or text blocks),
  ``stream``, ``temperature`` and ``top_p`` (0..1), ``top_k``, ``stop_sequences``,
  ``metadata``, ``tools`` (custom tools; server tools such as web search are refused: they bill
  per use, beyond what the budget can bound) and ``tool_choice``.
* Content blocks: ``text``, ``image`` (base64 or url source; lockgate.vision checks an inline
  one and never fetches a URL), ``tool_use`` and ``thinking``/``redacted_thinking`` in
  assistant turns, ``tool_result`` (text and images) in user turns. Other block types
  (``document``...) are refused: Lockgate cannot bound what they cost.

The prompt bound follows `wire.parse_chat`: the body's bytes (less the images' encoded bytes,
counted by their token bound per candidate instead), the per-message framing, and
`TOOL_PROMPT_TOKENS` when tools are defined (Anthropic adds a tool-use system prompt of 159 to
530 tokens, by model, that is not in the body).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from lockgate.gateway.params import (
    MAX_MODEL_NAME,
    MAX_OUTPUT_TOKENS,
    InvalidRequest,
    flag,
    integer,
    obj,
    text,
)
from lockgate.gateway.params import (
    number as read_number,
)
from lockgate.providers.base import ChatMessage, Role
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, REPLY_PRIMING
from lockgate.vision.inputs import ImageInput, ImageLimits, read_base64, read_url

TOOL_PROMPT_TOKENS = 600
ASSISTANT_ONLY = frozenset({"tool_use", "thinking", "redacted_thinking"})
TOOL_CHOICES = frozenset({"auto", "any", "tool", "none"})


@dataclass(slots=True)
class MessagesCall:
    """A checked Messages API request. `body` is the client's (what an Anthropic upstream
    gets); `system` and `turns` are its text, images as placeholders (what a text-only
    provider is sent, and what a missing usage report is estimated from)."""

    model: str
    body: dict[str, Any]
    stream: bool
    max_tokens: int
    system: str = ""
    turns: list[ChatMessage] = field(default_factory=list)
    images: list[ImageInput] = field(default_factory=list)
    uses_tools: bool = False
    prompt_bound: int = 0
    temperature: float | None = None

    @property
    def messages(self) -> list[ChatMessage]:
        system = [ChatMessage("system", self.system)] if self.system else []
        return [*system, *self.turns]


def _block_type(block: Any, where: str) -> str:
    kind = block.get("type") if isinstance(block, dict) else None
    if not isinstance(kind, str):
        raise InvalidRequest(f"{where}: each content block must be an object with a type.", where)
    return kind


def _text_of(block: dict[str, Any], where: str) -> str:
    value = block.get("text")
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}.text must be a string.", f"{where}.text")
    return value


class _Reader:
    """The state of reading one body: images found, whether tools are in play."""

    def __init__(self, limits: ImageLimits) -> None:
        self.limits = limits
        self.images: list[ImageInput] = []
        self.uses_tools = False

    def image(self, block: dict[str, Any], where: str) -> str:
        source = block.get("source")
        kind = source.get("type") if isinstance(source, dict) else None
        if kind == "base64":
            assert isinstance(source, dict)
            image = read_base64(
                source.get("media_type"), source.get("data"), self.limits, f"{where}.source"
            )
        elif kind == "url":
            assert isinstance(source, dict)
            image = read_url(source.get("url"), f"{where}.source.url")
        else:
            raise InvalidRequest(
                f"{where}.source must be a base64 or url image source.", f"{where}.source"
            )
        self.images.append(image)
        return image.describe()

    def tool_result(self, block: dict[str, Any], where: str) -> None:
        self.uses_tools = True
        if not isinstance(block.get("tool_use_id"), str):
            raise InvalidRequest(f"{where}.tool_use_id must be a string.", f"{where}.tool_use_id")
        content = block.get("content")
        if content is None or isinstance(content, str):
            return
        if not isinstance(content, list):
            raise InvalidRequest(f"{where}.content must be a string or blocks.", where)
        for number, part in enumerate(content):
            here = f"{where}.content[{number}]"
            kind = _block_type(part, here)
            if kind == "text":
                _text_of(part, here)
            elif kind == "image":
                self.image(part, here)
            else:
                raise InvalidRequest(f"{here}: a tool result holds text and images only.", here)

    def tool_use(self, block: dict[str, Any], where: str) -> None:
        self.uses_tools = True
        for name in ("id", "name"):
            if not isinstance(block.get(name), str):
                raise InvalidRequest(f"{where}.{name} must be a string.", f"{where}.{name}")
        if not isinstance(block.get("input"), dict):
            raise InvalidRequest(f"{where}.input must be an object.", f"{where}.input")

    def content(self, content: Any, role: str, where: str) -> str:
        """The turn's text (images as placeholders); every block checked."""
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            raise InvalidRequest(f"{where} must be a string or a list of blocks.", where)
        texts: list[str] = []
        for number, block in enumerate(content):
            here = f"{where}[{number}]"
            kind = _block_type(block, here)
            if kind == "text":
                texts.append(_text_of(block, here))
            elif kind == "image" and role == "user":
                texts.append(self.image(block, here))
            elif kind == "tool_result" and role == "user":
                self.tool_result(block, here)
            elif kind == "tool_use" and role == "assistant":
                self.tool_use(block, here)
            elif kind in ASSISTANT_ONLY and role == "assistant":
                continue
            else:
                raise InvalidRequest(
                    f"{here}: {kind!r} blocks are not supported in {role} turns.", here
                )
        return "".join(texts)


def system_of(value: Any) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, list):
        texts = []
        for number, block in enumerate(value):
            here = f"system[{number}]"
            if _block_type(block, here) != "text":
                raise InvalidRequest(f"{here}: system blocks must be text blocks.", here)
            texts.append(_text_of(block, here))
        return "\n\n".join(t for t in texts if t)
    raise InvalidRequest("system must be a string or a list of text blocks.", "system")


def _tools(body: dict[str, Any]) -> bool:
    choice = body.get("tool_choice")
    kind = obj(body, "tool_choice").get("type") if choice is not None else None
    if choice is not None and (not isinstance(kind, str) or kind not in TOOL_CHOICES):
        raise InvalidRequest("tool_choice.type must be auto, any, tool or none.", "tool_choice")
    tools = body.get("tools")
    if tools is None:
        return False
    if not isinstance(tools, list):
        raise InvalidRequest("tools must be a list.", "tools")
    for number, tool in enumerate(tools):
        where = f"tools[{number}]"
        if not isinstance(tool, dict):
            raise InvalidRequest(f"{where} must be an object.", where)
        if tool.get("type") not in (None, "custom"):
            raise InvalidRequest(
                f"{where}: server tools ({tool.get('type')!r}) are not supported through "
                "Lockgate: they bill per use, beyond what a budget can bound.",
                where,
            )
        text(tool, "name", 128, required=True)
        if not isinstance(tool.get("input_schema"), dict):
            raise InvalidRequest(f"{where}.input_schema must be an object.", where)
    return bool(tools)


def _stop_sequences(body: dict[str, Any]) -> None:
    stops = body.get("stop_sequences")
    if stops is not None and (
        not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops)
    ):
        raise InvalidRequest("stop_sequences must be a list of strings.", "stop_sequences")


def parse_messages(
    body: dict[str, Any], size: int, limits: ImageLimits, *, count_only: bool = False
) -> MessagesCall:
    """Check and read a Messages API request of `size` bytes (`count_only`: a count_tokens
    request, which has no ``max_tokens``)."""
    model = text(body, "model", MAX_MODEL_NAME, required=True)
    assert model is not None  # required
    max_tokens = integer(body, "max_tokens", 1, MAX_OUTPUT_TOKENS)
    if max_tokens is None and not count_only:
        raise InvalidRequest("max_tokens: Field required.", "max_tokens")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest("messages must be a non-empty list.", "messages")
    reader = _Reader(limits)
    turns: list[ChatMessage] = []
    for index, message in enumerate(raw):
        where = f"messages[{index}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            raise InvalidRequest(f"{where}.role must be user or assistant.", f"{where}.role")
        assert isinstance(message, dict)
        content = reader.content(message.get("content"), role, f"{where}.content")
        user_or_assistant: Role = "user" if role == "user" else "assistant"
        turns.append(ChatMessage(user_or_assistant, content))
    limits.check_count(len(reader.images))
    system = system_of(body.get("system"))
    temperature = read_number(body, "temperature", 0, 1)
    read_number(body, "top_p", 0, 1)
    integer(body, "top_k", 0, 2**31 - 1)
    _stop_sequences(body)
    obj(body, "metadata")
    uses_tools = _tools(body) or reader.uses_tools
    bound = (
        size
        - sum(image.encoded for image in reader.images)
        + PER_MESSAGE_OVERHEAD * (len(raw) + 1)
        + REPLY_PRIMING
        + (TOOL_PROMPT_TOKENS if uses_tools else 0)
    )
    return MessagesCall(
        model=model,
        body=body,
        stream=bool(flag(body, "stream")),
        max_tokens=max_tokens or 1,
        system=system,
        turns=turns,
        images=reader.images,
        uses_tools=uses_tools,
        prompt_bound=bound,
        temperature=temperature,
    )


def event(name: str, data: dict[str, Any]) -> bytes:
    """One server-sent event of the Messages API stream."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
