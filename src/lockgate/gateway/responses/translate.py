"""A Responses request for an upstream that does not serve the Responses API: what it can
honour, and the chat completions body that asks for it.

The chat body goes through the same `OpenAIWire` as ``/v1/chat/completions``: passed through
to OpenAI-compatible servers (Ollama, vLLM, LM Studio, Azure…) and translated to Messages by
`providers.anthropic_wire` for Anthropic, so there is one Anthropic translation, not two. The
simulated provider takes the conversation as text.

Mapping: ``instructions`` → a first system message; ``developer`` and ``system`` messages →
system; text parts joined; ``function_call`` items → ``tool_calls`` of the assistant turn
they follow (a new one if none); ``function_call_output`` → ``tool`` messages; ``reasoning``
items are left out (no chat upstream can take them back). Function tools →
``{type: function, function: {…}}``; ``tool_choice`` ``{type: function, name}`` →
``{type: function, function: {name}}``; ``text.format`` → ``response_format``;
``reasoning.effort`` → ``reasoning_effort`` (OpenAI-compatible only). Hints without an effect on
the answer are dropped: ``user`` (kept as chat's ``user``), ``prompt_cache_key``,
``safety_identifier``, ``service_tier``, ``truncation``, ``include`` of
``reasoning.encrypted_content``, ``max_tool_calls``, ``reasoning.summary``.

Refused with a 400 naming the field, before anything is sent (`refusal`): hosted tools
(web_search, file_search, computer_use, code_interpreter, mcp…) and their tool choices, the
Responses API's own items (hosted tool calls, ``item_reference``), stored prompts (``prompt``),
``top_logprobs``, other ``include`` values, a ``text.verbosity`` other than medium, and any other
field this translation does not know; for Anthropic also ``text.format`` JSON modes (refused by
the Messages translation too) and ``reasoning``; for the simulated provider also tools, tool
calls and results, JSON modes and ``reasoning``.
"""

from __future__ import annotations

from typing import Any, Literal

from lockgate.gateway.params import InvalidRequest
from lockgate.gateway.responses.request import READ_ITEMS, ResponsesCall

Target = Literal["chat", "anthropic", "simulated"]
# Hints a translation may drop: they never change what the answer is.
DROPPED = frozenset(
    {
        "user",
        "prompt_cache_key",
        "safety_identifier",
        "service_tier",
        "truncation",
        "include",
        "max_tool_calls",
        "store",
    }
)
KEPT_INCLUDES = frozenset({"reasoning.encrypted_content"})


def _refused(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, field)


def _extra_refusal(call: ResponsesCall, where: str) -> InvalidRequest | None:
    for name, value in call.extra.items():
        if name == "include":
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if not isinstance(v, str) or v not in KEPT_INCLUDES]
            if bad:
                return _refused("include", f"include {bad!r} cannot be honoured {where}.")
        elif name == "top_logprobs":
            if value != 0:
                return _refused("top_logprobs", f"top_logprobs cannot be honoured {where}.")
        elif name not in DROPPED:
            return _refused(name, f"{name} is not supported {where}.")
    verbosity = (call.body.get("text") or {}).get("verbosity")
    if verbosity not in (None, "medium"):
        return _refused("text.verbosity", f"text.verbosity cannot be honoured {where}.")
    return None


def _item_refusal(
    items: list[dict[str, Any]], where: str, *, text_only: bool
) -> InvalidRequest | None:
    for index, item in enumerate(items):
        kind = item["type"]
        if kind == "reasoning":
            continue
        if kind not in READ_ITEMS or (text_only and kind != "message"):
            return _refused(f"input[{index}].type", f"{kind} items cannot be sent {where}.")
    return None


def refusal(
    call: ResponsesCall, items: list[dict[str, Any]], target: Target, served_by: str
) -> InvalidRequest | None:
    """Why `call` (with the whole conversation, `items`) cannot be translated for `target`;
    None when it can. `served_by` names the upstream in the message."""
    where = f"by {served_by}, which does not serve the Responses API"
    if call.hosted_tools:
        index = call.hosted_tools[0]
        kind = call.tools[index]["type"]
        return _refused(
            f"tools[{index}].type",
            f"{kind} is a hosted tool of OpenAI's Responses API and cannot be used {where}.",
        )
    choice = call.tool_choice
    if isinstance(choice, dict) and choice.get("type") != "function":
        return _refused(
            "tool_choice", f"tool_choice {choice.get('type')!r} cannot be used {where}."
        )
    found = _extra_refusal(call, where)
    if found is None:
        found = _item_refusal(items, where, text_only=target == "simulated")
    if found is not None:
        return found
    effort = (call.reasoning or {}).get("effort")
    if target != "chat" and effort is not None:
        return _refused("reasoning", f"reasoning cannot be honoured {where}.")
    if target != "chat" and call.text_format is not None:
        return _refused("text.format", f"JSON output (text.format) cannot be honoured {where}.")
    if target == "simulated" and call.tools:
        return _refused("tools", f"Tools cannot be used {where}.")
    return None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        value = part.get("text", part.get("refusal", ""))
        parts.append(value if isinstance(value, str) else "")
    return "".join(parts)


def chat_messages(instructions: str | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as chat messages (see the module docstring)."""
    messages: list[dict[str, Any]] = []
    if instructions:
        messages.append({"role": "system", "content": instructions})
    for item in items:
        kind = item["type"]
        if kind == "message":
            role = "system" if item["role"] == "developer" else item["role"]
            messages.append({"role": role, "content": _text(item["content"])})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
                if last["content"] == "":
                    last["content"] = None
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append(
                {"role": "tool", "tool_call_id": item["call_id"], "content": _text(item["output"])}
            )
    return messages


def chat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = {"name": tool["name"]}
    for key in ("description", "parameters", "strict"):
        if tool.get(key) is not None:
            function[key] = tool[key]
    return {"type": "function", "function": function}


def response_format(fmt: dict[str, Any]) -> dict[str, Any]:
    if fmt["type"] == "json_object":
        return {"type": "json_object"}
    schema = {"name": fmt["name"], "schema": fmt["schema"]}
    for key in ("strict", "description"):
        if fmt.get(key) is not None:
            schema[key] = fmt[key]
    return {"type": "json_schema", "json_schema": schema}


def chat_body(call: ResponsesCall, items: list[dict[str, Any]], target: Target) -> dict[str, Any]:
    """The chat completions body (without model, output cap and stream: the caller's)."""
    body: dict[str, Any] = {"messages": chat_messages(call.instructions, items)}
    if call.tools:
        body["tools"] = [chat_tool(tool) for tool in call.tools]
        if call.tool_choice is not None:
            choice = call.tool_choice
            if isinstance(choice, dict):
                choice = {"type": "function", "function": {"name": choice["name"]}}
            body["tool_choice"] = choice
        if call.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = call.parallel_tool_calls
    if call.temperature is not None:
        body["temperature"] = call.temperature
    if call.top_p is not None:
        body["top_p"] = call.top_p
    if call.text_format is not None:
        body["response_format"] = response_format(call.text_format)
    effort = (call.reasoning or {}).get("effort")
    if target == "chat" and effort is not None:
        body["reasoning_effort"] = effort
    user = call.body.get("user")
    if isinstance(user, str) and user:
        body["user"] = user
    return body
