"""Anthropic's Messages API in OpenAI's chat vocabulary, both ways: the wire translation.

OpenAI wire (`chat_completion`, `chat_completion_stream`: the `OpenAIWire` protocol, which
`OpenAIProvider` satisfies by passing bodies through) -- the /v1 gateway hands us an OpenAI chat
body and gets OpenAI objects back. The request is translated by `to_messages_body`:

* `system`/`developer` messages -> top-level `system` (blank-line joined). Every other turn's
  content becomes a list of blocks, so that same-role neighbours merge by concatenating blocks;
  content is a string or a list of `text` parts, and in user turns `image_url` parts too (as
  image blocks: base64 for a data URL, a url source otherwise; `image_parts.py`). Other part
  types are refused rather than silently dropped. Empty text is left out (Anthropic rejects
  empty text blocks).
* assistant `tool_calls` -> `tool_use` blocks after the text (`arguments` parsed; invalid JSON
  or a non-object is `ProviderBadRequest`); `tool` messages -> `tool_result` blocks in a user
  turn (so consecutive results, and a user message right after them, share one turn).
* `max_tokens`/`max_completion_tokens` -> `max_tokens` (the smaller if both: it is what the
  budget reserved); `temperature` (clamped to 0..1 as above), `top_p`; `stop` -> `stop_sequences`
  (a list); `user` -> `metadata.user_id`; `stream` is the method's (`chat_completion` sends
  none, `chat_completion_stream` sends `true`), whatever the body says.
* `tools` -> `{name, description, input_schema}` (an empty object schema when there are no
  `parameters`); `tool_choice` auto/required/none/{function} -> auto/any/none/{tool, name};
  `parallel_tool_calls: false` -> `disable_parallel_tool_use` on it (auto when no choice given).
  `tool_choice` without `tools` is dropped.
* Dropped (OpenAI-only, no effect a client depends on): `seed`, `logprobs`, `top_logprobs`,
  `presence_penalty`, `frequency_penalty`, `logit_bias`, `n: 1`, `response_format: text`,
  `stream_options` (ours), `store`, `metadata`, ... Refused with `ProviderBadRequest` because the
  answer would silently not be what the client asked for: `response_format` json_object or
  json_schema, `n` > 1, legacy `functions`/`function_call`.

The answer comes back as `chat.completion` (`id` "chatcmpl-" + Anthropic's, text blocks joined,
`tool_use` blocks as `tool_calls` with `arguments` = the JSON of `input`, `finish_reason` from
`STOP_REASONS` with "stop" for anything else, usage with cache tokens counted as prompt tokens).
The stream becomes OpenAI chunks sharing one `id`/`created`: a role chunk at `message_start`,
`text_delta` -> `content`, a `tool_use` block start -> a `tool_calls` entry (`index` counting tool
calls from 0, `arguments: ""`), each `input_json_delta` -> its `arguments` piece, a tool call
whose input never arrived gets `"{}"` at its block's end, `message_delta` -> an empty delta with
the finish reason ("stop" at `message_stop` if none came), then at `message_stop` one usage
chunk (`choices: []`; none if `message_start` had no usage). `created` comes from the provider's
clock, `model` is the body's. Errors are those of
`stream_chat`: HTTP statuses raise before the first chunk, an `error` event maps by its type, a
stream without `message_stop` is `ProviderBadResponse`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from pydantic import BaseModel

from lockgate.providers.base import (
    ChatMessage,
)
from lockgate.providers.errors import ProviderBadRequest
from lockgate.providers.image_parts import to_anthropic_image

# Anthropic stop reasons in OpenAI's vocabulary (see `Finish`); unknown ones pass through.
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


class WireUsage(BaseModel):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    def billed_input(self) -> int | None:
        if self.input_tokens is None:
            return None
        return (
            self.input_tokens
            + (self.cache_creation_input_tokens or 0)
            + (self.cache_read_input_tokens or 0)
        )


class WireMessage(BaseModel):
    id: str | None = None
    usage: WireUsage | None = None


class WireBlock(BaseModel):
    """A content block: `text`, `tool_use`, or one we skip (`thinking`, server tools...)."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None


class WireResponse(BaseModel):
    """A non-streamed Messages API answer."""

    id: str
    content: list[WireBlock]
    stop_reason: str | None = None
    usage: WireUsage


class WireDelta(BaseModel):
    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    stop_reason: str | None = None


class WireError(BaseModel):
    type: str = "api_error"
    message: str = ""


class WireEvent(BaseModel):
    type: str
    index: int | None = None
    message: WireMessage | None = None
    content_block: WireBlock | None = None
    delta: WireDelta | None = None
    usage: WireUsage | None = None
    error: WireError | None = None


class WireModelEntry(BaseModel):
    id: str


class WireModelPage(BaseModel):
    data: list[WireModelEntry]
    has_more: bool = False
    last_id: str | None = None


def _turn_content(message: ChatMessage) -> str | list[dict[str, Any]]:
    """A turn's content: its text, or (with images) a text block then image blocks."""
    if not message.images:
        return message.content
    # An image-only turn has no text block: Anthropic refuses an empty one.
    blocks: list[dict[str, Any]] = (
        [{"type": "text", "text": message.content}] if message.content else []
    )
    for url in message.images:
        image = to_anthropic_image({"image_url": {"url": url}})
        if image is not None:
            blocks.append(image)
    return blocks


def _as_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def to_anthropic_messages(
    messages: Sequence[ChatMessage],
) -> tuple[str | None, list[dict[str, Any]]]:
    """(system, turns) for the Messages API: systems joined, same-role neighbours merged (text
    with a blank line between; a turn with images becomes blocks)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system") or None
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        content = _turn_content(message)
        if not turns or turns[-1]["role"] != message.role:
            turns.append({"role": message.role, "content": content})
        elif isinstance(content, str) and isinstance(turns[-1]["content"], str):
            turns[-1]["content"] += "\n\n" + content
        else:
            turns[-1]["content"] = _as_blocks(turns[-1]["content"]) + _as_blocks(content)
    return system, turns


# -- the OpenAI wire: request translation (see the module docstring) ---------------------------

_TOOL_CHOICES = {"auto": "auto", "required": "any", "none": "none"}
_REFUSED_FORMATS = frozenset({"json_object", "json_schema"})


class _Refusal(Exception):
    """A body we cannot translate faithfully; becomes `ProviderBadRequest`."""


def _refuse(message: str) -> NoReturn:
    raise _Refusal(message)


def _text_of(content: Any, where: str) -> str:
    """The text of OpenAI message content: a string, or a list of `text` parts (joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        _refuse(f"{where}: content must be a string or a list of parts")
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal"):
            _refuse(
                f"{where}: content parts of type {kind!r} are not supported by Anthropic models"
            )
        text = part.get(kind)
        if not isinstance(text, str):
            _refuse(f"{where}: a {kind} part without its text")
        texts.append(text)
    return "".join(texts)


def _text_blocks(content: Any, where: str, *, images: bool = False) -> list[dict[str, Any]]:
    """Content as Anthropic blocks: one text block per string or part, empty ones left out;
    with `images` (a user turn), ``image_url`` parts become image blocks (see image_parts)."""
    parts = content if isinstance(content, list) else [content]
    blocks = []
    for part in parts:
        if images and isinstance(part, dict) and part.get("type") == "image_url":
            image = to_anthropic_image(part)
            if image is None:
                _refuse(f"{where}: an image_url part needs a data: or https:// url")
            blocks.append(image)
            continue
        text = _text_of([part] if isinstance(part, dict) else part, where)
        if text:
            blocks.append({"type": "text", "text": text})
    return blocks


def _tool_use(call: Any, where: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        _refuse(
            f"{where}: tool calls must be {{id, type: function, function: {{name, arguments}}}}"
        )
    arguments = function.get("arguments") or "{}"
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        _refuse(
            f"{where}: the arguments of tool call {call.get('id')!r} ({function['name']}) "
            "are not a JSON object"
        )
    return {"type": "tool_use", "id": call.get("id"), "name": function["name"], "input": parsed}


def _turns(messages: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """(system, alternating turns whose content is a list of blocks)."""
    if not isinstance(messages, list):
        _refuse("messages must be a list")
    systems: list[str] = []
    turns: list[dict[str, Any]] = []
    for number, message in enumerate(messages):
        where = f"messages[{number}]"
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            systems.append(_text_of(content, where))
            continue
        if role == "user":
            blocks = _text_blocks(content, where, images=True)
        elif role == "assistant":
            blocks = _text_blocks(content, where)
            calls = message.get("tool_calls") or []
            if not isinstance(calls, list):
                _refuse(f"{where}: tool_calls must be a list")
            blocks.extend(_tool_use(call, where) for call in calls)
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                _refuse(f"{where}: a tool message needs its tool_call_id")
            text = _text_of(content, where)
            role, blocks = (
                "user",
                [{"type": "tool_result", "tool_use_id": call_id, "content": text}],
            )
        else:
            _refuse(f"{where}: role {role!r} is not supported by Anthropic models")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    system = "\n\n".join(text for text in systems if text) or None
    return system, turns


def _tools(tools: Any) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        _refuse("tools must be a list")
    translated = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            _refuse("only function tools are supported by Anthropic models")
        if not isinstance(function.get("name"), str):
            _refuse("every tool needs a function name")
        entry: dict[str, Any] = {"name": function["name"]}
        if function.get("description") is not None:
            entry["description"] = function["description"]
        entry["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
        translated.append(entry)
    return translated


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice is None:
        translated: dict[str, Any] = {"type": "auto"}
    elif isinstance(choice, str) and choice in _TOOL_CHOICES:
        translated = {"type": _TOOL_CHOICES[choice]}
    elif isinstance(choice, dict) and isinstance((choice.get("function") or {}).get("name"), str):
        translated = {"type": "tool", "name": choice["function"]["name"]}
    else:
        _refuse(f"tool_choice {choice!r} is not supported by Anthropic models")
    if parallel is False and translated["type"] != "none":
        translated["disable_parallel_tool_use"] = True
    elif choice is None:
        return None  # Anthropic's default is auto
    return translated


def _max_tokens(body: Mapping[str, Any]) -> int:
    given = [body.get(key) for key in ("max_tokens", "max_completion_tokens")]
    caps = [cap for cap in given if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0]
    if not caps or len(caps) != sum(cap is not None for cap in given):
        _refuse("max_tokens (or max_completion_tokens) must be a positive integer")
    return min(caps)


def _check_supported(body: Mapping[str, Any]) -> None:
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else response_format
    if kind in _REFUSED_FORMATS:
        _refuse(f"response_format {kind} is not supported by Anthropic models")
    n = body.get("n")
    if n is not None and n != 1:
        _refuse(f"n={n} (several choices) is not supported by Anthropic models")
    for legacy in ("functions", "function_call"):
        if body.get(legacy) is not None:
            _refuse(f"{legacy} is not supported by Anthropic models; use tools")


def to_messages_body(body: Mapping[str, Any], *, provider: str) -> dict[str, Any]:
    """The Messages API body for an OpenAI chat body (see the module docstring for the mapping).

    Raises `ProviderBadRequest` (nothing is sent) for what has no faithful translation.
    """
    try:
        _check_supported(body)
        system, turns = _turns(body.get("messages"))
        if not turns:
            _refuse("no user message to answer")
        if turns[0]["role"] != "user":
            _refuse("anthropic requires the first non-system message to be the user's")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            _refuse("the body names no model")
        translated: dict[str, Any] = {
            "model": model,
            "messages": turns,
            "max_tokens": _max_tokens(body),
        }
        if system is not None:
            translated["system"] = system
        temperature = body.get("temperature")
        if isinstance(temperature, int | float):
            translated["temperature"] = min(max(float(temperature), 0.0), 1.0)
        if body.get("top_p") is not None:
            translated["top_p"] = body["top_p"]
        stop = body.get("stop")
        if stop:
            translated["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        if body.get("tools"):
            translated["tools"] = _tools(body["tools"])
            choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
            if choice is not None:
                translated["tool_choice"] = choice
        if isinstance(body.get("user"), str) and body["user"]:
            translated["metadata"] = {"user_id": body["user"]}
        if body.get("stream") is not None:
            translated["stream"] = bool(body["stream"])
        return translated
    except _Refusal as exc:
        raise ProviderBadRequest(str(exc), provider=provider) from None


def finish_reason(stop_reason: str | None) -> str:
    return STOP_REASONS.get(stop_reason or "", "stop")


def usage_body(usage: WireUsage) -> dict[str, int]:
    prompt = usage.billed_input() or 0
    completion = usage.output_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def to_chat_completion(answer: WireResponse, *, model: str, created: int) -> dict[str, Any]:
    """The `chat.completion` object for a non-streamed Messages API answer."""
    text = "".join(block.text or "" for block in answer.content if block.type == "text")
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = [
        {
            "id": block.id,
            "type": "function",
            "function": {"name": block.name, "arguments": json.dumps(block.input or {})},
        }
        for block in answer.content
        if block.type == "tool_use"
    ]
    if calls:
        message["tool_calls"] = calls
    message["refusal"] = None
    return {
        "id": f"chatcmpl-{answer.id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(answer.stop_reason),
            }
        ],
        "usage": usage_body(answer.usage),
    }
