"""``/v1/messages`` and the response cache: the request's cache shape, and a hit replayed in
Anthropic's shape.

The shape is the one ``/v1/chat/completions`` makes (gateway/cached.py): the Messages body
translated as for an OpenAI-compatible upstream (`to_chat_body`: ``system`` first as a system
message, text blocks as text, images as ``image_url`` parts, ``tool_use``/``tool_result`` as
tool calls and ``tool`` messages; ``stop_sequences`` → ``stop``, tools and ``tool_choice`` in
chat's form), so an answer is shared with the other wire formats exactly when everything that
shapes it is equal, and the owner (the key) is the same. What that translation leaves out but an
Anthropic upstream would see is added back, so it can never make two different requests equal:
every other body field as sent (``top_k``, ``thinking``, ``output_config``…, all but
``metadata`` and ``stream``), the ``thinking`` blocks of earlier turns, and which tool results
were errors. A body the translation refuses is hashed as sent (system first): it can only ever
match itself. ``max_tokens`` is the limit actually sent (the model's cap applied).

A hit is answered like a live one: a ``message`` object, or ``message_start`` → ``ping`` →
one text block (``content_block_start``, ``text_delta``s, ``content_block_stop``) →
``message_delta`` (stop reason, usage) → ``message_stop``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from lockgate.cache.keys import CacheRequest
from lockgate.cache.replay import pieces
from lockgate.cache.service import Lookup
from lockgate.gateway.cached import about
from lockgate.gateway.messages_wire import MessagesCall, event
from lockgate.providers.errors import ProviderBadRequest
from lockgate.providers.messages_chat import stop_reason, to_chat_body

TRANSLATED = frozenset(
    {
        "model",
        "messages",
        "system",
        "temperature",
        "top_p",
        "stop_sequences",
        "tools",
        "tool_choice",
        "metadata",
        "stream",
        "max_tokens",
    }
)
NOT_SHAPING = frozenset({"model", "messages", "system", "metadata", "stream", "max_tokens"})


def _left_out(messages: Any) -> list[Any]:
    """What the chat translation drops or merges: earlier thinking blocks, error flags."""
    out: list[Any] = []
    for number, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, dict) else None
        for index, block in enumerate(content if isinstance(content, list) else []):
            if not isinstance(block, dict):
                continue
            if block.get("type") in ("thinking", "redacted_thinking"):
                out.append([number, index, block])
            elif block.get("type") == "tool_result" and block.get("is_error"):
                out.append([number, index, "is_error"])
    return out


def cache_request(scope: str, call: MessagesCall, max_tokens: int) -> CacheRequest:
    body = call.body
    try:
        chat = to_chat_body(body, provider="cache")
    except ProviderBadRequest:  # not translatable: as sent, system first
        system = body.get("system")
        head = [{"role": "system", "content": system}] if system else []
        messages = [*head, *body.get("messages", [])]
        params = {k: v for k, v in body.items() if k not in NOT_SHAPING and v is not None}
        params["wire"] = "anthropic"
    else:
        messages = chat["messages"]
        params = {k: v for k, v in chat.items() if k not in ("model", "messages", "user")}
        params.update((k, v) for k, v in body.items() if k not in TRANSLATED and v is not None)
        left_out = _left_out(body.get("messages"))
        if left_out:
            params["anthropic_blocks"] = left_out
    params["max_tokens"] = max_tokens
    return CacheRequest.of(scope, call.model, messages, params)


def message(lookup: Lookup, model: str) -> dict[str, Any]:
    """A hit as a non-streamed ``message``."""
    entry = lookup.entry
    assert entry is not None
    return {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": entry.text}],
        "stop_reason": stop_reason(entry.finish_reason),
        "stop_sequence": None,
        "usage": {"input_tokens": entry.input_tokens, "output_tokens": entry.output_tokens},
        "lockgate": about(lookup),
    }


async def stream(lookup: Lookup, model: str) -> AsyncIterator[bytes]:
    """A hit as the events of a streamed message."""
    whole = message(lookup, model)
    start = {**whole, "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": whole["usage"]["input_tokens"], "output_tokens": 0}
    yield event("message_start", {"type": "message_start", "message": start})
    yield event("ping", {"type": "ping"})
    block = {"type": "text", "text": ""}
    yield event(
        "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
    )
    for piece in pieces(whole["content"][0]["text"]):
        delta = {"type": "text_delta", "text": piece}
        yield event(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )
    yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
    yield event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
            "usage": whole["usage"],
        },
    )
    yield event("message_stop", {"type": "message_stop"})
