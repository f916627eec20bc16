"""The Messages API spoken to an OpenAI-compatible upstream: `anthropic_wire` the other way.

`anthropic_wire` lets an OpenAI client reach a Claude model; this module lets an Anthropic
client (``/v1/messages``) reach an OpenAI-compatible model. The vocabulary each maps is the same
(`STOP_REASONS`, tool calls, images via `image_parts`), read in the other direction:

* ``system`` (a string or text blocks) -> one system message first.
* user turns: ``text`` blocks -> text parts (a lone text block -> a plain string, which every
  OpenAI-compatible server takes), ``image`` blocks -> ``image_url`` parts (a URL stays a URL),
  ``tool_result`` blocks -> ``tool`` messages placed before the turn's other content (Anthropic
  requires results first; OpenAI requires them right after the assistant's tool calls). An
  ``is_error`` result's text is prefixed with "Error: " (OpenAI has no flag for it); an image
  inside a tool result is refused (OpenAI tool messages carry text only).
* assistant turns: ``text`` -> ``content``, ``tool_use`` -> ``tool_calls`` (``arguments`` = the
  JSON of ``input``); ``thinking``/``redacted_thinking`` blocks are dropped (another model's
  reasoning means nothing to this one).
* ``tools`` -> function tools (``input_schema`` -> ``parameters``); a server tool (one with a
  ``type`` such as ``web_search_20250305``) is refused. ``tool_choice`` auto/any/tool/none ->
  auto/required/{function}/none; ``disable_parallel_tool_use`` -> ``parallel_tool_calls: false``.
* ``stop_sequences`` -> ``stop``; ``temperature``, ``top_p`` as they are; ``metadata.user_id`` ->
  ``user``. Dropped, as Anthropic-only with nothing to honour them: ``top_k``, ``thinking``,
  ``service_tier``, ``cache_control`` marks. ``max_tokens`` and ``stream`` are the caller's.
  Also dropped: ``cache_control`` and ``output_config.effort``.
* Refused (`ProviderBadRequest`, nothing sent): content blocks other than the above
  (``document``, ``search_result``, ...), an image source other than base64 or url, and
  ``output_config.format`` (a structured-output schema this translation would not enforce).

The answer comes back as a Messages API ``message`` (`to_message`): text then ``tool_use``
blocks, ``stop_reason`` from `stop_reason`, usage as input/output tokens.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, NoReturn

from lockgate.providers.anthropic_wire import STOP_REASONS
from lockgate.providers.errors import ProviderBadRequest
from lockgate.providers.image_parts import to_openai_image

# OpenAI finish reasons in Anthropic's vocabulary: STOP_REASONS read backwards (its first
# Anthropic name for each), plus the legacy function_call.
FINISH_REASONS = {
    **{finish: stop for stop, finish in reversed(STOP_REASONS.items())},
    "function_call": "tool_use",
}
_TOOL_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


class _Refusal(Exception):
    pass


def _refuse(message: str) -> NoReturn:
    raise _Refusal(message)


def stop_reason(finish: object) -> str:
    """An OpenAI ``finish_reason`` as an Anthropic ``stop_reason`` (``end_turn`` by default)."""
    return FINISH_REASONS.get(finish, "end_turn") if isinstance(finish, str) else "end_turn"


def system_text(system: Any) -> str:
    """The text of a ``system`` field: a string, or a list of text blocks (joined)."""
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if not isinstance(system, list):
        _refuse("system must be a string or a list of text blocks")
    texts = []
    for block in system:
        if not isinstance(block, dict) or block.get("type") != "text":
            _refuse("system blocks must be text blocks")
        texts.append(str(block.get("text", "")))
    return "\n\n".join(text for text in texts if text)


def _blocks(content: Any) -> list[Any]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _tool_result(block: dict[str, Any], where: str) -> dict[str, Any]:
    content = block.get("content")
    texts: list[str] = []
    for part in _blocks(content) if content is not None else []:
        if not isinstance(part, dict) or part.get("type") != "text":
            kind = part.get("type") if isinstance(part, dict) else None
            _refuse(f"{where}: a tool_result with {kind!r} content cannot be sent to this model")
        texts.append(str(part.get("text", "")))
    text = "\n".join(texts)
    if block.get("is_error"):
        text = f"Error: {text}"
    return {"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": text}


def _user(content: Any, where: str) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for number, block in enumerate(_blocks(content)):
        kind = block.get("type") if isinstance(block, dict) else None
        here = f"{where}.content[{number}]"
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image":
            image = to_openai_image(block)
            if image is None:
                _refuse(f"{here}: only base64 and url image sources can be sent to this model")
            parts.append(image)
        elif kind == "tool_result":
            tools.append(_tool_result(block, here))
        else:
            _refuse(f"{here}: content blocks of type {kind!r} cannot be sent to this model")
    messages = tools
    if len(parts) == 1 and parts[0]["type"] == "text":
        messages.append({"role": "user", "content": parts[0]["text"]})
    elif parts:
        messages.append({"role": "user", "content": parts})
    return messages


def _assistant(content: Any, where: str) -> dict[str, Any]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for number, block in enumerate(_blocks(content)):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {})
            function = {"name": block.get("name"), "arguments": arguments}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
        elif kind not in ("thinking", "redacted_thinking"):
            _refuse(
                f"{where}.content[{number}]: assistant blocks of type {kind!r} cannot be sent "
                "to this model"
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tools(tools: Any) -> list[dict[str, Any]]:
    translated = []
    for number, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") not in (None, "custom"):
            kind = tool.get("type") if isinstance(tool, dict) else None
            _refuse(f"tools[{number}]: the server tool {kind!r} cannot be used with this model")
        function: dict[str, Any] = {"name": tool.get("name")}
        if tool.get("description") is not None:
            function["description"] = tool["description"]
        function["parameters"] = tool.get("input_schema") or {"type": "object", "properties": {}}
        translated.append({"type": "function", "function": function})
    return translated


def _tool_choice(choice: Any) -> tuple[Any, bool]:
    """(OpenAI tool_choice or None, parallel tool use allowed)."""
    if choice is None:
        return None, True
    kind = choice.get("type") if isinstance(choice, dict) else None
    parallel = not (isinstance(choice, dict) and choice.get("disable_parallel_tool_use"))
    if kind in _TOOL_CHOICES:
        return _TOOL_CHOICES[kind], parallel
    if kind == "tool" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}, parallel
    _refuse(f"tool_choice {choice!r} is not supported")


def to_chat_body(body: Mapping[str, Any], *, provider: str) -> dict[str, Any]:
    """The OpenAI chat body for a (validated) Messages API body, without ``max_tokens`` and
    ``stream`` (the caller's). Raises `ProviderBadRequest` for what cannot be translated."""
    try:
        output = body.get("output_config")
        if isinstance(output, dict) and output.get("format") is not None:
            _refuse("output_config.format (structured output) cannot be sent to this model")
        messages: list[dict[str, Any]] = []
        system = system_text(body.get("system"))
        if system:
            messages.append({"role": "system", "content": system})
        for number, message in enumerate(body.get("messages") or []):
            where = f"messages[{number}]"
            if message.get("role") == "assistant":
                messages.append(_assistant(message.get("content"), where))
            else:
                messages.extend(_user(message.get("content"), where))
        translated: dict[str, Any] = {"model": body.get("model"), "messages": messages}
        for name in ("temperature", "top_p"):
            if body.get(name) is not None:
                translated[name] = body[name]
        if body.get("stop_sequences"):
            translated["stop"] = list(body["stop_sequences"])
        if body.get("tools"):
            translated["tools"] = _tools(body["tools"])
            choice, parallel = _tool_choice(body.get("tool_choice"))
            if choice is not None:
                translated["tool_choice"] = choice
            if not parallel:
                translated["parallel_tool_calls"] = False
        metadata = body.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
            translated["user"] = metadata["user_id"]
        return translated
    except _Refusal as exc:
        raise ProviderBadRequest(str(exc), provider=provider) from None


def tool_input(arguments: Any) -> dict[str, Any]:
    """A tool call's ``arguments`` (JSON text) as an Anthropic ``input`` object; text that is
    not a JSON object (a model's malformed call) is kept whole under ``arguments``."""
    if not arguments:
        return {}
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"arguments": arguments}


def _count(value: Any) -> int:
    """A reported token count as a non-negative integer (0 when it is not a number)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return max(0, value)
    if isinstance(value, float) and math.isfinite(value):
        return max(0, math.ceil(value))
    return 0


def message_id(completion_id: Any) -> str:
    text = str(completion_id or "").removeprefix("chatcmpl-")
    return f"msg_{text}" if text else "msg_lockgate"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def to_message(completion: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    """The Messages API ``message`` for an OpenAI ``chat.completion``."""
    choices = completion.get("choices") or []
    choice: dict[str, Any] = choices[0] if choices and isinstance(choices[0], dict) else {}
    found = choice.get("message")
    reply: dict[str, Any] = found if isinstance(found, dict) else {}
    content: list[dict[str, Any]] = []
    text = _text(reply.get("content"))
    if text:
        content.append({"type": "text", "text": text})
    for call in reply.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "toolu_lockgate",
                "name": function.get("name"),
                "input": tool_input(function.get("arguments")),
            }
        )
    reported = completion.get("usage")
    usage: dict[str, Any] = reported if isinstance(reported, dict) else {}
    return {
        "id": message_id(completion.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(choice.get("finish_reason")),
        "stop_sequence": None,
        "usage": {
            "input_tokens": _count(usage.get("prompt_tokens")),
            "output_tokens": _count(usage.get("completion_tokens")),
        },
    }
