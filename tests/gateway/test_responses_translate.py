"""The Responses → chat completions translation and the pass-through relay, as pure functions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lockgate.calls.runner import Delivered
from lockgate.gateway.responses.builder import ResponseBuilder
from lockgate.gateway.responses.relay import PassthroughState, Rewrite, passthrough_events
from lockgate.gateway.responses.request import parse_request
from lockgate.gateway.responses.translate import chat_body, refusal
from lockgate.providers.base import TextDelta, Usage
from lockgate.providers.errors import ProviderUnavailable


def call_of(**body: Any) -> Any:
    return parse_request({"model": "m", "input": "hi", **body})


def test_items_become_chat_messages() -> None:
    call = call_of(
        instructions="Be brief.",
        input=[
            {"role": "developer", "content": "No emoji."},
            {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
            {"type": "message", "role": "assistant", "content": "Let me look."},
            {"type": "function_call", "call_id": "c1", "name": "w", "arguments": '{"a":1}'},
            {"type": "function_call", "call_id": "c2", "name": "w", "arguments": "{}"},
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ],
    )
    messages = chat_body(call, call.items, "chat")["messages"]
    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "No emoji."},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"a":1}'}},
                {"id": "c2", "type": "function", "function": {"name": "w", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]


def test_tools_choice_format_and_effort_are_mapped() -> None:
    call = call_of(
        tools=[{"type": "function", "name": "w", "parameters": {"type": "object"}}],
        tool_choice={"type": "function", "name": "w"},
        text={"format": {"type": "json_schema", "name": "W", "schema": {"type": "object"}}},
        reasoning={"effort": "low"},
    )
    body = chat_body(call, call.items, "chat")
    assert body["tools"] == [
        {"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "w"}}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "W", "schema": {"type": "object"}},
    }
    assert body["reasoning_effort"] == "low"
    assert refusal(call, call.items, "chat", "x") is None


@pytest.mark.parametrize(
    ("body", "target", "param"),
    [
        ({"tools": [{"type": "file_search"}]}, "chat", "tools[0].type"),
        ({"tool_choice": {"type": "web_search_preview"}}, "chat", "tool_choice"),
        ({"prompt": {"id": "pmpt_1"}}, "chat", "prompt"),
        ({"include": ["file_search_call.results"]}, "chat", "include"),
        ({"text": {"verbosity": "low"}}, "chat", "text.verbosity"),
        ({"input": [{"type": "web_search_call", "id": "ws_1"}]}, "chat", "input[0].type"),
        ({"reasoning": {"effort": "high"}}, "anthropic", "reasoning"),
        ({"text": {"format": {"type": "json_object"}}}, "anthropic", "text.format"),
        ({"tools": [{"type": "function", "name": "w"}]}, "simulated", "tools"),
        (
            {"input": [{"type": "function_call_output", "call_id": "c", "output": "x"}]},
            "simulated",
            "input[0].type",
        ),
    ],
)
def test_what_cannot_be_honoured_is_refused_by_name(
    body: dict[str, Any], target: Any, param: str
) -> None:
    call = call_of(**body)
    refused = refusal(call, call.items, target, "m (test)")
    assert refused is not None
    assert refused.param == param


def test_hints_without_effect_are_accepted() -> None:
    call = call_of(
        include=["reasoning.encrypted_content"],
        prompt_cache_key="k",
        service_tier="auto",
        truncation="auto",
        store=False,
        user="u1",
    )
    assert refusal(call, call.items, "anthropic", "x") is None
    assert chat_body(call, call.items, "anthropic")["user"] == "u1"


async def _events(*events: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for event in events:
        yield event


async def test_passthrough_holds_the_opening_until_output() -> None:
    emitted: list[dict[str, Any]] = []
    state = PassthroughState(Rewrite({"id": "resp_ours", "model": "pub"}), emitted.append)
    opening = {"type": "response.created", "response": {"id": "resp_up", "model": "up"}}
    failing = _events(opening, {"type": "error", "code": "server_error", "message": "boom"})
    with pytest.raises(ProviderUnavailable):
        _ = [event async for event in passthrough_events(state, failing, "p")]
    assert emitted == []  # a retry or a fallback may still answer: nothing went out

    state = PassthroughState(Rewrite({"id": "resp_ours", "model": "pub"}), emitted.append)
    delta = {"type": "response.output_text.delta", "delta": "Hi", "output_index": 0}
    seen = [
        event
        async for event in passthrough_events(
            state,
            _events(opening, delta, {"type": "response.completed", "response": {}}),
            "p",
        )
    ]
    assert [e["type"] for e in emitted] == ["response.created", "response.output_text.delta"]
    state.close()  # the final event waits until the response is stored
    assert emitted[-1]["type"] == "response.completed"
    assert emitted[0]["response"] == {"id": "resp_ours", "model": "pub"}
    assert seen[:2] == [Delivered(), TextDelta("Hi")]


def test_builder_events_for_text_refusal_and_a_tool_call() -> None:
    frames: list[bytes] = []
    builder = ResponseBuilder({"id": "resp_1", "object": "response"}, frames.append)
    builder.text("I ")
    builder.refusal("cannot.")
    builder.tool_call(0, "call_1", "w")
    builder.arguments(0, '{"a":')
    builder.arguments(0, "1}")
    final = builder.finish("tool_calls", Usage(3, 4), completed_at=9)
    events = [json.loads(frame.split(b"data: ", 1)[1]) for frame in frames]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.content_part.added",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    message, call = final["output"]
    assert [p["type"] for p in message["content"]] == ["output_text", "refusal"]
    assert message["content"][1]["refusal"] == "cannot."
    assert (call["call_id"], call["arguments"], call["status"]) == (
        "call_1",
        '{"a":1}',
        "completed",
    )
    assert final["usage"]["total_tokens"] == 7
    assert events[-1]["response"] == final


def test_a_length_finish_is_incomplete() -> None:
    builder = ResponseBuilder({"id": "resp_1"}, None)
    builder.text("cut sho")
    final = builder.finish("length", Usage(1, 2), completed_at=9)
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][0]["status"] == "incomplete"
