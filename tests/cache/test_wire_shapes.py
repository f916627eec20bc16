"""The cache shapes of ``/v1/responses`` and ``/v1/messages``: equal to the chat completions
shape exactly when the request means the same, and never equal when a wire format's own field
or block (an image, a thinking block, an error flag, a hosted item) would change the answer."""

from __future__ import annotations

from typing import Any

import orjson

from lockgate.cache.keys import CacheRequest
from lockgate.gateway import cached, messages_cached, wire
from lockgate.gateway.messages_wire import parse_messages
from lockgate.gateway.responses import cached as responses_cached
from lockgate.gateway.responses.request import parse_request
from lockgate.vision.inputs import ImageLimits

SCOPE = "key:1"
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
    "AAAABJRU5ErkJggg=="
)


def chat(body: dict[str, Any]) -> CacheRequest:
    call = wire.parse_chat({"model": "m", **body}, len(orjson.dumps(body)))
    return cached.cache_request(SCOPE, call, body.get("max_tokens", 30))


def responses(body: dict[str, Any], history: list[dict[str, Any]] | None = None) -> CacheRequest:
    call = parse_request({"model": "m", **body})
    return responses_cached.cache_request(SCOPE, call, [*(history or []), *call.items], 30)


def messages(body: dict[str, Any]) -> CacheRequest:
    full = {"model": "m", "max_tokens": 30, **body}
    call = parse_messages(full, len(orjson.dumps(full)), ImageLimits())
    return messages_cached.cache_request(SCOPE, call, 30)


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def test_the_same_request_has_one_key_in_every_wire_format() -> None:
    base = chat({"messages": [{"role": "system", "content": "Be brief."}, user("Hi")]})
    assert responses({"input": "Hi", "instructions": "Be brief."}).exact_key == base.exact_key
    parts = [{"type": "input_text", "text": "H"}, {"type": "input_text", "text": "i"}]
    as_items = {"input": [{"type": "message", "role": "user", "content": parts}]}
    assert responses({**as_items, "instructions": "Be brief."}).exact_key == base.exact_key
    assert messages({"system": "Be brief.", "messages": [user("Hi")]}).exact_key == base.exact_key
    blocks = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    assert messages({"system": blocks, "messages": [user("Hi")]}).exact_key == base.exact_key
    stop = chat({"messages": [user("Hi")], "stop": ["."], "temperature": 0.2})
    asked = messages({"messages": [user("Hi")], "stop_sequences": ["."], "temperature": 0.2})
    assert asked.exact_key == stop.exact_key
    # The semantic layer compares the same last message in the same context.
    for request in (responses({"input": "Hi"}), messages({"messages": [user("Hi")]})):
        assert request.prompt == "Hi"
        assert request.context_tag == chat({"messages": [user("Hi")]}).context_tag


def test_what_only_one_wire_format_carries_keeps_the_keys_apart() -> None:
    plain = messages({"messages": [user("Hi")]})
    assert messages({"messages": [user("Hi")], "top_k": 3}).exact_key != plain.exact_key
    thinking = {"type": "thinking", "thinking": "hmm", "signature": "s"}
    history = [user("Hi"), {"role": "assistant", "content": [{"type": "text", "text": "Yo"}]}]
    thought = [
        user("Hi"),
        {"role": "assistant", "content": [thinking, {"type": "text", "text": "Yo"}]},
    ]
    assert (
        messages({"messages": [*history, user("Again")]}).exact_key
        != messages({"messages": [*thought, user("Again")]}).exact_key
    )
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    with_image = messages({"messages": [user([image, {"type": "text", "text": "Hi"}])]})
    assert with_image.exact_key != plain.exact_key
    assert with_image.prompt is None  # never compared by meaning
    # Responses: a reasoning item, a text format each make another entry.
    text = responses({"input": "Hi"})
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "x"}
    assert responses({"input": "Hi"}, [reasoning]).exact_key != text.exact_key
    schema = {"format": {"type": "json_schema", "name": "a", "schema": {"type": "object"}}}
    assert responses({"input": "Hi", "text": schema}).exact_key != text.exact_key
    # Hints that cannot change the answer do not.
    hints = {"metadata": {"a": "b"}, "store": False, "user": "u", "service_tier": "auto"}
    assert responses({"input": "Hi", **hints}).exact_key == text.exact_key


def test_only_a_text_answer_is_a_replayable_response() -> None:
    text = {"type": "message", "content": [{"type": "output_text", "text": "Paris"}]}
    assert responses_cached.text_only({"output": [text]})
    refusal = {"type": "message", "content": [{"type": "refusal", "refusal": "No"}]}
    call = {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}
    reasoning = {"type": "reasoning", "summary": []}
    for output in ([refusal], [text, call], [reasoning, text]):
        assert not responses_cached.text_only({"output": output})
