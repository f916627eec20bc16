"""The ``/v1/messages`` event stream built or relayed by `MessageStream`: Anthropic's order,
one ``message_start`` whichever attempt answers, and the runner told what went out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from lockgate.calls.runner import Delivered
from lockgate.gateway.messages_relay import MessageStream
from lockgate.providers.base import Finish, TextDelta, Usage, UsageReport
from lockgate.providers.errors import ProviderUnavailable


async def frames(stream: MessageStream) -> list[tuple[str, dict[str, Any]]]:
    stream.close()
    out = []
    while (frame := await stream.get()) is not None:
        name, data = frame.decode().split("\n", 1)
        out.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


async def chunks(*items: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        yield item


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


async def test_openai_chunks_become_blocks_in_order() -> None:
    stream = MessageStream("public")
    call = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"a":'}}
    events = [
        e
        async for e in stream.translated(
            chunks(
                delta(role="assistant", content=""),
                delta(content="Hi"),
                delta(tool_calls=[call]),
                delta(tool_calls=[{"index": 0, "function": {"arguments": " 1}"}}]),
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
                {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3}},
            )
        )
    ]
    assert events == [
        TextDelta("Hi"),
        Delivered(),
        Delivered(),
        Finish("tool_calls"),
        UsageReport(Usage(5, 3)),
    ]
    tail = stream.finish("tool_use", Usage(5, 3))
    got = await frames(stream)
    assert [name for name, _ in got] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
    ]
    assert got[0][1]["message"]["model"] == "public"
    assert got[5][1]["content_block"] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "f",
        "input": {},
    }
    assert "".join(d["delta"]["partial_json"] for _, d in got[6:]) == '{"a": 1}'
    assert [json.loads(b.split(b"data: ")[1]) for b in tail.strip().split(b"\n\n")] == [
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"input_tokens": 5, "output_tokens": 3},
        },
        {"type": "message_stop"},
    ]


async def anthropic_events(
    *items: tuple[str, dict[str, Any]], fail: bool = False
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    for item in items:
        yield item
    if fail:
        raise ProviderUnavailable("gone", provider="claude")


START = (
    "message_start",
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "model": "up",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 1},
        },
    },
)
PING = ("ping", {"type": "ping"})


async def test_an_anthropic_attempt_failing_before_content_leaves_nothing_on_the_wire() -> None:
    stream = MessageStream("public")
    seen = []
    try:
        async for e in stream.passthrough(anthropic_events(START, PING, fail=True)):
            seen.append(e)
    except ProviderUnavailable:
        pass
    assert (seen, stream.started) == ([], False)
    # The next attempt (another candidate) starts the message once.
    stream.text("Hello")
    got = await frames(stream)
    assert [name for name, _ in got].count("message_start") == 1


async def test_an_anthropic_stream_is_relayed_with_our_model_name() -> None:
    stream = MessageStream("public")
    block = (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    text = (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Yo"}},
    )
    end = (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 4},
        },
    )
    stop = ("message_stop", {"type": "message_stop"})
    events = [
        e async for e in stream.passthrough(anthropic_events(START, PING, block, text, end, stop))
    ]
    assert events == [
        Delivered(),
        Delivered(),
        TextDelta("Yo"),
        UsageReport(Usage(15, 4)),
        Finish("stop"),
    ]
    assert stream.finish("end_turn", Usage(0, 0)) == b""  # the upstream ended it
    got = await frames(stream)
    assert [name for name, _ in got] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "message_delta",
        "message_stop",
    ]
    assert got[0][1]["message"]["model"] == "public"
