"""``/v1/chat/completions`` and the response cache: the request's cache shape, and a hit
replayed in the shape asked for.

The shape (`lockgate.cache.keys.CacheRequest`): the messages as sent, and every body field but
the ones that cannot change the answer (``stream``, ``stream_options``, ``user``, ``metadata``,
``store``); ``max_tokens`` is the output limit the upstream is actually sent (the client's, or
the model's own when it gave none), whichever of ``max_tokens`` and ``max_completion_tokens``
carried it.

A hit is answered like an upstream would: a ``chat.completion`` object, or the same
``chat.completion.chunk`` stream a live answer gives (the role, the text in pieces, the finish
reason, the usage chunk when ``stream_options.include_usage``, ``[DONE]``). Its ``usage`` is the
original answer's (the tokens the answer is made of); ``lockgate.cache`` says it came from the
cache and what it saved.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from lockgate.cache.keys import CacheRequest
from lockgate.cache.replay import pieces
from lockgate.cache.service import Lookup
from lockgate.gateway import wire
from lockgate.providers.base import Usage

NOT_SHAPING = frozenset({"stream", "stream_options", "user", "metadata", "store"})


def cache_request(scope: str, call: wire.ChatCall, max_tokens: int) -> CacheRequest:
    params = {k: v for k, v in call.extra.items() if k not in NOT_SHAPING}
    params["max_tokens"] = max_tokens
    if call.temperature is not None:
        params["temperature"] = call.temperature
    return CacheRequest.of(scope, call.model, call.raw_messages, params)


def about(lookup: Lookup) -> dict[str, Any]:
    """The ``lockgate`` field of a replayed answer: who gave it, that the cache served it."""
    entry = lookup.entry
    assert entry is not None
    info: dict[str, Any] = {"hit": True, "layer": lookup.layer, "saved_usd": str(entry.cost_usd)}
    if lookup.similarity is not None:
        info["similarity"] = round(lookup.similarity, 4)
    return {"provider": entry.provider, "cache": info}


def completion(lookup: Lookup, model: str) -> dict[str, Any]:
    """A hit as a non-streamed ``chat.completion``."""
    entry = lookup.entry
    assert entry is not None
    body = wire.completion(
        wire.completion_id(),
        model,
        entry.text,
        entry.finish_reason,
        Usage(entry.input_tokens, entry.output_tokens),
        entry.provider,
    )
    body["lockgate"] = about(lookup)
    return body


async def stream(lookup: Lookup, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    """A hit as the SSE frames of a streamed answer."""
    entry = lookup.entry
    assert entry is not None
    cid, created = wire.completion_id(), int(time.time())
    yield wire.chunk(cid, created, model, {"role": "assistant", "content": ""})
    for piece in pieces(entry.text):
        yield wire.chunk(cid, created, model, {"content": piece})
    yield wire.chunk(cid, created, model, {}, entry.finish_reason)
    if include_usage:
        usage = Usage(entry.input_tokens, entry.output_tokens)
        yield wire.usage_chunk(cid, created, model, usage)
    yield wire.DONE
