"""``/v1/responses`` and the response cache: the request's cache shape, and a hit replayed as a
Responses API answer.

The shape is the one ``/v1/chat/completions`` makes (gateway/cached.py), so an answer can be
shared between the two wire formats exactly when everything that shapes it is equal (and the
owner is the same: the key). The conversation is the resolved one — the items of a
``previous_response_id`` chain, then this request's input — as chat messages, ``instructions``
first as a system message:

- a ``message`` item → ``{role, content}``, text parts (``input_text``/``output_text``) as
  ``text`` parts (joined into one string by the cache's normalisation), every other part
  (images, files, refusals) kept as sent: it can only ever match itself;
- ``function_call`` → an assistant turn's ``tool_calls``; ``function_call_output`` → a ``tool``
  message; any other item (``reasoning``, ``item_reference``, hosted tool calls) kept whole.

Parameters under chat's names where the meaning is the same (``max_output_tokens`` →
``max_tokens``, the effective limit; function tools → chat's ``{type: function, function}``;
``text.format`` → ``response_format``; ``reasoning.effort`` → ``reasoning_effort``); every other
field is kept as sent except those that cannot change the answer (`NOT_SHAPING`).

A hit is answered like a live one: the ``response`` object (``status: completed``, or
``incomplete`` for a ``length`` answer), or its typed events with ``sequence_number`` from 0 and
``response.completed`` carrying the usage. It gets its own id and, with ``store: true``, is
stored under the key like any response, so ``previous_response_id`` continues from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockgate.cache.keys import CacheRequest
from lockgate.cache.replay import pieces
from lockgate.cache.service import Lookup
from lockgate.gateway.cached import about
from lockgate.gateway.responses.builder import ResponseBuilder
from lockgate.gateway.responses.request import ResponsesCall
from lockgate.gateway.responses.translate import chat_tool, response_format
from lockgate.providers.base import Usage

NOT_SHAPING = frozenset(
    {
        "model",
        "input",
        "instructions",
        "previous_response_id",
        "stream",
        "stream_options",
        "store",
        "metadata",
        "user",
        "prompt_cache_key",
        "safety_identifier",
        "service_tier",
        "background",
    }
)
TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


def _content(content: Any) -> Any:
    if not isinstance(content, list):
        return content
    out: list[Any] = []
    for part in content:
        if isinstance(part, Mapping) and part.get("type") in TEXT_PARTS:
            out.append({"type": "text", "text": part.get("text")})
        else:
            out.append(part)
    return out


def messages(instructions: str | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resolved conversation as chat messages (see the module docstring)."""
    out: list[dict[str, Any]] = []
    if instructions:
        out.append({"role": "system", "content": instructions})
    for item in items:
        kind = item.get("type")
        if kind == "message":
            out.append({"role": item.get("role"), "content": _content(item.get("content"))})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments")},
            }
            last = out[-1] if out else None
            if last is not None and last.get("role") == "assistant":
                last.setdefault("tool_calls", []).append(call)
                if last.get("content") == "":
                    last["content"] = None
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = _content(item.get("output"))
            out.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": output})
        else:
            out.append({"role": "item", "item": item})
    return out


def params(call: ResponsesCall, max_tokens: int) -> dict[str, Any]:
    """Every body field that may shape the answer, under chat's names where they mean the same."""
    out = {k: v for k, v in call.body.items() if k not in NOT_SHAPING and v is not None}
    out.pop("max_output_tokens", None)
    out["max_tokens"] = max_tokens
    if isinstance(out.get("tools"), list):
        out["tools"] = [
            chat_tool(t) if isinstance(t, dict) and t.get("type") == "function" else t
            for t in out["tools"]
        ]
    choice = out.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        out["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    text = out.pop("text", None)
    if isinstance(text, dict):
        fmt = text.get("format")
        if isinstance(fmt, dict) and fmt.get("type") != "text":
            out["response_format"] = response_format(fmt)
        if text.get("verbosity") not in (None, "medium"):
            out["verbosity"] = text["verbosity"]
    reasoning = out.pop("reasoning", None)
    if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
        out["reasoning_effort"] = reasoning["effort"]
    return out


def cache_request(
    scope: str, call: ResponsesCall, items: list[dict[str, Any]], max_tokens: int
) -> CacheRequest:
    """The shape of a request whose resolved conversation is `items`."""
    return CacheRequest.of(
        scope, call.model, messages(call.instructions, items), params(call, max_tokens)
    )


def text_only(response: dict[str, Any]) -> bool:
    """Whether a response's output is text and nothing else (no tool call, reasoning or
    refusal: a replay could not give those back)."""
    for item in response.get("output") or ():
        if not isinstance(item, dict) or item.get("type") != "message":
            return False
        for part in item.get("content") or ():
            if not isinstance(part, dict) or part.get("type") != "output_text":
                return False
    return True


def replay(lookup: Lookup, builder: ResponseBuilder, completed_at: int) -> dict[str, Any]:
    """A hit through `builder` (its events emitted when it has an `emit`); the final response."""
    entry = lookup.entry
    assert entry is not None
    builder.shell["lockgate"] = about(lookup)  # on every snapshot: the events' and the stored
    for piece in pieces(entry.text):
        builder.text(piece)
    usage = Usage(entry.input_tokens, entry.output_tokens)
    return builder.finish(entry.finish_reason, usage, completed_at)
