import asyncio
import json
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

import pytest

from lockgate.providers import (
    AnthropicProvider,
    AnthropicProviderConfig,
    ChatMessage,
    ChatRequest,
    Finish,
    ImageRequest,
    OpenAIProvider,
    OpenAIProviderConfig,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from lockgate.providers.base import OpenAIWire
from tests.fixtures.ports import free_port
from tests.providers.wire import (
    ANTHROPIC_EVENTS,
    ANTHROPIC_STREAM,
    API_KEY,
    FIXED_NOW,
    Closer,
    Recorded,
    Reply,
    Upstream,
    anthropic_sse,
    collect,
    collect_all,
    collect_until_error,
    event_stream,
    fixed_clock,
    json_reply,
    replying,
)

MODEL = "claude-3-5-haiku-20241022"
REQUEST = ChatRequest(MODEL, [ChatMessage("user", "Say hi")], max_tokens=64)

Make = Callable[..., AnthropicProvider]
Stream = Callable[..., AsyncGenerator[StreamEvent, None]]


@pytest.fixture
def make(upstream: Upstream, closing: Closer) -> Make:
    """`make(**cfg)`: a provider whose base_url is the local upstream unless overridden."""

    def build(**cfg: Any) -> AnthropicProvider:
        fields = {"type": "anthropic", "base_url": upstream.url, **cfg}
        config = AnthropicProviderConfig.model_validate(fields)
        return closing(AnthropicProvider("claude", config, API_KEY, clock=fixed_clock))

    return build


@pytest.fixture
def stream(make: Make) -> Stream:
    """`stream(request=REQUEST)`: the events of a fresh provider's `stream_chat`."""

    def run(request: ChatRequest = REQUEST) -> AsyncGenerator[StreamEvent, None]:
        return make().stream_chat(request)

    return run


def _replace(name: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(event, data if event == name else payload) for event, payload in ANTHROPIC_EVENTS]


async def test_stream_yields_deltas_then_usage_then_finish(
    upstream: Upstream, stream: Stream
) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    events = await collect(stream())
    assert events == [
        TextDelta("Hi"),
        TextDelta(" there."),
        UsageReport(Usage(input_tokens=25, output_tokens=15)),
        Finish("stop"),
    ]


async def test_request_goes_to_messages_with_key_and_version_headers(
    upstream: Upstream, stream: Stream
) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    await collect(stream())
    request = upstream.last
    assert (
        request.method,
        request.target,
        request.headers["x-api-key"],
        request.headers["anthropic-version"],
        request.headers["content-type"],
    ) == ("POST", "/v1/messages", API_KEY, "2023-06-01", "application/json")


async def test_systems_are_lifted_and_same_role_turns_merged(
    upstream: Upstream, stream: Stream
) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    messages = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Hello"),
        ChatMessage("user", "Are you there?"),
        ChatMessage("assistant", "Yes."),
        ChatMessage("system", "Use French."),
        ChatMessage("user", "Why?"),
    ]
    await collect(stream(ChatRequest(MODEL, messages, 100)))
    assert upstream.last.json() == {
        "model": MODEL,
        "messages": [
            {"role": "user", "content": "Hello\n\nAre you there?"},
            {"role": "assistant", "content": "Yes."},
            {"role": "user", "content": "Why?"},
        ],
        "max_tokens": 100,
        "stream": True,
        "system": "Be brief.\n\nUse French.",
    }


async def test_openai_style_options_are_translated(upstream: Upstream, stream: Stream) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    extra = {"stop": "END", "top_p": 0.9, "seed": 3}
    await collect(stream(ChatRequest(MODEL, REQUEST.messages, 8, 1.7, extra)))
    body = upstream.last.json()
    assert (body["temperature"], body["stop_sequences"], body["top_p"], "seed" in body) == (
        1.0,
        ["END"],
        0.9,
        False,
    )


@pytest.mark.parametrize(
    "messages",
    [
        [ChatMessage("system", "only a system prompt")],
        [ChatMessage("assistant", "Welcome!"), ChatMessage("user", "hi")],
    ],
)
async def test_conversation_anthropic_cannot_take_is_refused_locally(
    upstream: Upstream, stream: Stream, messages: list[ChatMessage]
) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    with pytest.raises(ProviderBadRequest):
        await collect(stream(ChatRequest(MODEL, messages, 8)))
    assert upstream.requests == []


async def test_max_tokens_stop_reason_becomes_length(upstream: Upstream, stream: Stream) -> None:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
        "usage": {"output_tokens": 64},
    }
    upstream.reply(event_stream(anthropic_sse(_replace("message_delta", delta))))
    events = await collect(stream())
    assert events[-2:] == [UsageReport(Usage(25, 64)), Finish("length")]


async def test_cache_tokens_count_as_input(upstream: Upstream, stream: Stream) -> None:
    start: dict[str, Any] = json.loads(json.dumps(ANTHROPIC_EVENTS[0][1]))
    start["message"]["usage"].update(cache_creation_input_tokens=100, cache_read_input_tokens=7)
    upstream.reply(event_stream(anthropic_sse(_replace("message_start", start))))
    events = await collect(stream())
    assert UsageReport(Usage(132, 15)) in events


async def test_events_cut_across_reads_are_reassembled(upstream: Upstream, stream: Stream) -> None:
    """Each frame is split in the middle of its `data:` line; the second half is only sent once
    the first delta has come out, so the halves cannot arrive in one read."""
    cut = ANTHROPIC_STREAM.index(b'"text": " there') + 5
    rest = asyncio.Event()
    upstream.reply(event_stream(ANTHROPIC_STREAM[:cut], rest, ANTHROPIC_STREAM[cut:]))
    seen = []
    async for event in stream():
        seen.append(event)
        rest.set()
    assert seen[:2] == [TextDelta("Hi"), TextDelta(" there.")]


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("overloaded_error", ProviderUnavailable),
        ("api_error", ProviderUnavailable),
        ("rate_limit_error", ProviderRateLimited),
        ("invalid_request_error", ProviderBadRequest),
        ("something_new", ProviderUnavailable),
    ],
)
async def test_error_event_mid_stream_maps_by_type(
    upstream: Upstream, stream: Stream, error_type: str, expected: type[ProviderError]
) -> None:
    error = {"type": "error", "error": {"type": error_type, "message": "Overloaded"}}
    upstream.reply(event_stream(anthropic_sse([*ANTHROPIC_EVENTS[:4], ("error", error)])))
    events, raised = await collect_until_error(stream())
    assert (events, type(raised)) == ([TextDelta("Hi")], expected)


async def test_stream_without_message_stop_is_bad_response(
    upstream: Upstream, stream: Stream
) -> None:
    upstream.reply(event_stream(anthropic_sse(ANTHROPIC_EVENTS[:-1])))
    _, error = await collect_until_error(stream())
    assert isinstance(error, ProviderBadResponse)


async def test_stream_cut_mid_body_is_unavailable(upstream: Upstream, stream: Stream) -> None:
    upstream.reply(event_stream(anthropic_sse(ANTHROPIC_EVENTS[:4]), cut=True))
    events, error = await collect_until_error(stream())
    assert (events, type(error)) == ([TextDelta("Hi")], ProviderUnavailable)


async def test_malformed_event_is_bad_response(upstream: Upstream, stream: Stream) -> None:
    body = anthropic_sse([*ANTHROPIC_EVENTS[:3], ("content_block_delta", '{"type": "cont')])
    upstream.reply(event_stream(body))
    _, error = await collect_until_error(stream())
    assert isinstance(error, ProviderBadResponse)


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": error_type, "message": message}}).encode()


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (400, "invalid_request_error", ProviderBadRequest),
        (401, "authentication_error", ProviderAuthError),
        (403, "permission_error", ProviderAuthError),
        (404, "not_found_error", ProviderBadRequest),
        (429, "rate_limit_error", ProviderRateLimited),
        (500, "api_error", ProviderUnavailable),
        (529, "overloaded_error", ProviderUnavailable),
    ],
)
async def test_error_status_maps_to_error_class(
    upstream: Upstream,
    stream: Stream,
    status: int,
    error_type: str,
    expected: type[ProviderError],
) -> None:
    upstream.reply(replying(status, content=_error_body(error_type, "nope: details")))
    _, error = await collect_until_error(stream())
    assert (type(error), error.status, "nope: details" in error.message) == (
        expected,
        status,
        True,
    )


async def test_rate_limited_reads_retry_after(upstream: Upstream, stream: Stream) -> None:
    upstream.reply(
        replying(
            429, content=_error_body("rate_limit_error", "slow"), headers={"retry-after": "12"}
        )
    )
    _, error = await collect_until_error(stream())
    assert isinstance(error, ProviderRateLimited)
    assert error.retry_after == 12.0


async def test_read_timeout_is_timeout(upstream: Upstream, make: Make) -> None:
    upstream.reply(Reply(before_headers=asyncio.Event()))  # never set: the upstream stalls
    provider = make(timeouts={"read": 0.05})
    async with asyncio.timeout(5):
        _, error = await collect_until_error(provider.stream_chat(REQUEST))
    assert isinstance(error, ProviderTimeout)


async def test_connect_error_is_unavailable(make: Make) -> None:
    provider = make(base_url=f"http://127.0.0.1:{free_port()}")
    _, error = await collect_until_error(provider.stream_chat(REQUEST))
    assert isinstance(error, ProviderUnavailable)


async def test_api_key_echoed_by_upstream_is_redacted(upstream: Upstream, stream: Stream) -> None:
    body = _error_body("authentication_error", f"invalid x-api-key {API_KEY}")
    upstream.reply(replying(401, content=body))
    _, error = await collect_until_error(stream())
    assert API_KEY not in f"{error} {error!r} {error.message}"


async def test_rate_limit_headers_reset_instants_become_seconds(
    upstream: Upstream, make: Make
) -> None:
    headers = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2025-01-01T12:00:01Z",
        "anthropic-ratelimit-tokens-remaining": "39000",
        "anthropic-ratelimit-tokens-reset": "2025-01-01T12:00:45.5+00:00",
    }
    upstream.reply(event_stream(ANTHROPIC_STREAM, headers=headers))
    provider = make()
    await collect(provider.stream_chat(REQUEST))
    info = provider.last_rate_limit
    assert info is not None
    assert (info.limit_requests, info.remaining_requests, info.remaining_tokens) == (50, 49, 39000)
    assert (info.reset_requests_s, info.reset_tokens_s) == (1.0, 45.5)


async def test_images_are_refused(upstream: Upstream, make: Make) -> None:
    with pytest.raises(ProviderBadRequest, match="does not generate images"):
        await make().generate_images(ImageRequest(MODEL, "cat", "1024x1024", 1))
    assert upstream.requests == []


async def test_embeddings_are_refused(upstream: Upstream, make: Make) -> None:
    with pytest.raises(ProviderBadRequest):
        await make().embed(MODEL, ["a"])
    assert upstream.requests == []


async def test_list_models_follows_pagination(upstream: Upstream, make: Make) -> None:
    pages = {
        None: {"data": [{"id": "claude-a"}], "has_more": True, "last_id": "claude-a"},
        "claude-a": {"data": [{"id": "claude-b"}], "has_more": False, "last_id": "claude-b"},
    }

    def respond(request: Recorded) -> Reply:
        return json_reply(pages[request.query.get("after_id")])

    upstream.reply(respond)
    assert (await make().list_models(), [r.target for r in upstream.requests]) == (
        ["claude-a", "claude-b"],
        ["/v1/models?limit=1000", "/v1/models?limit=1000&after_id=claude-a"],
    )


# -- chat_completion / chat_completion_stream: the /v1 gateway's OpenAI wire -------------------

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
WIRE_BODY: dict[str, Any] = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Weather in Paris?"}],
    "max_tokens": 64,
}
STREAM_WIRE_BODY = {**WIRE_BODY, "stream": True, "stream_options": {"include_usage": True}}
CREATED = int(FIXED_NOW.timestamp())

ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_01Aq9w938a90dw8q",
    "type": "message",
    "role": "assistant",
    "model": "claude-3-5-haiku-20241022",
    "content": [
        {"type": "text", "text": "I'll check the weather."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"location": "Paris", "unit": "celsius"},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 384,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 87,
    },
}


def _message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(json.dumps(ANTHROPIC_MESSAGE))
    message.update(changes)
    return message


def _text_message(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    return _message(content=[{"type": "text", "text": text}], stop_reason=stop_reason)


def _wire_message_start(input_tokens: int = 472) -> tuple[str, dict[str, Any]]:
    return (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_014p7gG3wDgGV9EUtLvnow3U",
                "type": "message",
                "role": "assistant",
                "model": "claude-3-5-haiku-20241022",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": 2},
            },
        },
    )


def _block_delta(index: int, delta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def _block_stop(index: int) -> tuple[str, dict[str, Any]]:
    return ("content_block_stop", {"type": "content_block_stop", "index": index})


def _message_delta(stop_reason: str, output_tokens: int) -> tuple[str, dict[str, Any]]:
    return (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
    )


ARGUMENT_PIECES = ["", '{"location', '": "Par', 'is", "unit": "cel', 'sius"}']
TOOL_EVENTS: list[tuple[str, dict[str, Any]]] = [
    _wire_message_start(),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    ("ping", {"type": "ping"}),
    _block_delta(0, {"type": "text_delta", "text": "Let me check."}),
    _block_stop(0),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                "name": "get_weather",
                "input": {},
            },
        },
    ),
    *(_block_delta(1, {"type": "input_json_delta", "partial_json": p}) for p in ARGUMENT_PIECES),
    _block_stop(1),
    _message_delta("tool_use", 89),
    ("message_stop", {"type": "message_stop"}),
]


def _chunk(delta: dict[str, Any], finish: str | None = None, cid: str = "") -> dict[str, Any]:
    return {
        "id": cid or "chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def _usage_chunk(prompt: int, completion: int, cid: str = "") -> dict[str, Any]:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    return {**_chunk({}, cid=cid), "choices": [], "usage": usage}


def test_both_providers_speak_the_openai_wire() -> None:
    anthropic = AnthropicProvider("claude", AnthropicProviderConfig(type="anthropic"), None)
    openai = OpenAIProvider("openai", OpenAIProviderConfig(type="openai"), None)
    wires: list[OpenAIWire] = [anthropic, openai]  # and statically, for mypy
    assert all(isinstance(provider, OpenAIWire) for provider in wires)


async def test_wire_conversation_with_tools_is_translated(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(_text_message("18°C and sunny.")))
    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
            {"role": "user", "content": "Weather in Paris and Lyon?"},
            {"role": "user", "content": [{"type": "text", "text": "Quickly."}]},
            {
                "role": "assistant",
                "content": "Checking both.",
                "tool_calls": [
                    {
                        "id": "toolu_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
                    },
                    {
                        "id": "toolu_2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location":"Lyon"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18°C"},
            {
                "role": "tool",
                "tool_call_id": "toolu_2",
                "content": [{"type": "text", "text": "15"}],
            },
            {"role": "assistant", "content": None, "tool_calls": []},
            {"role": "assistant", "content": "Paris 18°C, Lyon 15°C."},
            {"role": "user", "content": "And tomorrow?"},
        ],
        "tools": [WEATHER_TOOL, {"type": "function", "function": {"name": "now"}}],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "stop": ["END", "STOP"],
        "max_completion_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.9,
        "user": "user-42",
        "seed": 7,
        "logprobs": False,
        "n": 1,
        "presence_penalty": 0.5,
        "response_format": {"type": "text"},
        "stream": False,
        "stream_options": {"include_usage": True},
    }
    await make().chat_completion(body)
    assert (upstream.last.target, upstream.last.json()) == (
        "/v1/messages",
        {
            "model": MODEL,
            "system": "Be brief.\n\nUse metric units.",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Weather in Paris and Lyon?"},
                        {"type": "text", "text": "Quickly."},
                    ],
                },
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Checking both."},
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "get_weather",
                            "input": {"location": "Paris"},
                        },
                        {
                            "type": "tool_use",
                            "id": "toolu_2",
                            "name": "get_weather",
                            "input": {"location": "Lyon"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18°C"},
                        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "15"},
                    ],
                },
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Paris 18°C, Lyon 15°C."}],
                },
                {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]},
            ],
            "max_tokens": 256,
            "temperature": 0.2,
            "top_p": 0.9,
            "stop_sequences": ["END", "STOP"],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Current weather for a city",
                    "input_schema": WEATHER_TOOL["function"]["parameters"],
                },
                {"name": "now", "input_schema": {"type": "object", "properties": {}}},
            ],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
            "metadata": {"user_id": "user-42"},
        },
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"stop": "END"}, {"stop_sequences": ["END"]}),
        ({"stop": None}, {}),
        ({"temperature": 1.7}, {"temperature": 1.0}),
        ({"max_completion_tokens": 32}, {"max_tokens": 32}),
        ({"tools": [WEATHER_TOOL]}, {}),
        ({"tools": [WEATHER_TOOL], "tool_choice": "auto"}, {"tool_choice": {"type": "auto"}}),
        ({"tools": [WEATHER_TOOL], "tool_choice": "none"}, {"tool_choice": {"type": "none"}}),
        ({"tools": [WEATHER_TOOL], "tool_choice": "required"}, {"tool_choice": {"type": "any"}}),
        (
            {"tools": [WEATHER_TOOL], "tool_choice": "required", "parallel_tool_calls": False},
            {"tool_choice": {"type": "any", "disable_parallel_tool_use": True}},
        ),
        (
            {"tools": [WEATHER_TOOL], "tool_choice": "none", "parallel_tool_calls": False},
            {"tool_choice": {"type": "none"}},
        ),
        (
            {
                "tools": [WEATHER_TOOL],
                "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                "parallel_tool_calls": False,
            },
            {
                "tool_choice": {
                    "type": "tool",
                    "name": "get_weather",
                    "disable_parallel_tool_use": True,
                }
            },
        ),
        (
            {"tools": [WEATHER_TOOL], "parallel_tool_calls": False},
            {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}},
        ),
        ({"tool_choice": "none"}, {}),  # no tools: nothing to choose from
    ],
)
async def test_wire_options_are_translated(
    upstream: Upstream, make: Make, extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    upstream.reply(json_reply(_text_message("ok")))
    await make().chat_completion({**WIRE_BODY, **extra})
    sent = upstream.last.json()
    function = WEATHER_TOOL["function"]
    tools = [
        {
            "name": "get_weather",
            "description": function["description"],
            "input_schema": function["parameters"],
        }
    ]
    assert sent == {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}],
        "max_tokens": 64,
        **({"tools": tools} if "tools" in extra else {}),
        **expected,
    }


async def test_wire_stream_body_asks_for_a_stream(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    await collect_all(make().chat_completion_stream(STREAM_WIRE_BODY))
    assert upstream.last.json() == {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}],
        "max_tokens": 64,
        "stream": True,
    }


async def test_wire_tool_use_answer(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(ANTHROPIC_MESSAGE))
    completion = await make().chat_completion({**WIRE_BODY, "tools": [WEATHER_TOOL]})
    calls = completion["choices"][0]["message"]["tool_calls"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"location": "Paris", "unit": "celsius"}
    assert completion == {
        "id": "chatcmpl-msg_01Aq9w938a90dw8q",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "I'll check the weather.",
                    "tool_calls": [
                        {
                            "id": "toolu_01A09q90qw90lq917835lq9",
                            "type": "function",
                            "function": {
                                "name": "get_weather",
                                "arguments": calls[0]["function"]["arguments"],
                            },
                        }
                    ],
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 384, "completion_tokens": 87, "total_tokens": 471},
    }


async def test_wire_text_answer_with_cache_tokens(upstream: Upstream, make: Make) -> None:
    answer = _message(
        content=[{"type": "text", "text": "Hello"}, {"type": "text", "text": " there."}],
        stop_reason="end_turn",
        usage={
            "input_tokens": 10,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 7,
            "output_tokens": 5,
        },
    )
    upstream.reply(json_reply(answer))
    completion = await make().chat_completion(WIRE_BODY)
    assert (completion["choices"][0]["message"], completion["usage"]) == (
        {"role": "assistant", "content": "Hello there.", "refusal": None},
        {"prompt_tokens": 117, "completion_tokens": 5, "total_tokens": 122},
    )


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        ("something_new", "stop"),
    ],
)
async def test_wire_stop_reasons(
    upstream: Upstream, make: Make, stop_reason: str, finish_reason: str
) -> None:
    upstream.reply(json_reply(_text_message("x", stop_reason)))
    completion = await make().chat_completion(WIRE_BODY)
    assert completion["choices"][0]["finish_reason"] == finish_reason


async def test_wire_empty_answer_has_null_content(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(_message(content=[], stop_reason="end_turn")))
    completion = await make().chat_completion(WIRE_BODY)
    assert completion["choices"][0]["message"]["content"] is None


async def test_wire_malformed_answer_is_bad_response(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply({"type": "message", "content": "nope"}))
    with pytest.raises(ProviderBadResponse):
        await make().chat_completion(WIRE_BODY)


async def test_wire_error_status(upstream: Upstream, make: Make) -> None:
    upstream.reply(replying(529, content=_error_body("overloaded_error", "Overloaded")))
    with pytest.raises(ProviderUnavailable, match="Overloaded"):
        await make().chat_completion(WIRE_BODY)


async def test_wire_stream_of_text(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    chunks = await collect_all(make().chat_completion_stream(STREAM_WIRE_BODY))
    assert chunks == [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Hi"}),
        _chunk({"content": " there."}),
        _chunk({}, "stop"),
        _usage_chunk(25, 15),
    ]


async def test_wire_stream_of_a_tool_use(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(anthropic_sse(TOOL_EVENTS)))
    chunks = await collect_all(make().chat_completion_stream(STREAM_WIRE_BODY))
    cid = "chatcmpl-msg_014p7gG3wDgGV9EUtLvnow3U"
    start = {
        "index": 0,
        "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    pieces = [p for p in ARGUMENT_PIECES if p]
    assert chunks == [
        _chunk({"role": "assistant", "content": ""}, cid=cid),
        _chunk({"content": "Let me check."}, cid=cid),
        _chunk({"tool_calls": [start]}, cid=cid),
        *(
            _chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}, cid=cid)
            for p in pieces
        ),
        _chunk({}, "tool_calls", cid=cid),
        _usage_chunk(472, 89, cid=cid),
    ]
    arguments = "".join(
        call["function"]["arguments"]
        for chunk in chunks
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls", [])
    )
    assert json.loads(arguments) == {"location": "Paris", "unit": "celsius"}


async def test_wire_stream_tool_calls_are_numbered_and_empty_input_is_an_object(
    upstream: Upstream, make: Make
) -> None:
    def tool_start(index: int, tool_id: str) -> tuple[str, dict[str, Any]]:
        block = {"type": "tool_use", "id": tool_id, "name": "now", "input": {}}
        return (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )

    events = [
        _wire_message_start(),
        tool_start(0, "toolu_a"),
        _block_delta(0, {"type": "input_json_delta", "partial_json": ""}),
        _block_stop(0),
        tool_start(1, "toolu_b"),
        _block_delta(1, {"type": "input_json_delta", "partial_json": "{}"}),
        _block_stop(1),
        _message_delta("tool_use", 20),
        ("message_stop", {"type": "message_stop"}),
    ]
    upstream.reply(event_stream(anthropic_sse(events)))
    chunks = await collect_all(make().chat_completion_stream(STREAM_WIRE_BODY))
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks[1:-2]]
    assert [(call["index"], call.get("id"), call["function"]) for call in calls] == [
        (0, "toolu_a", {"name": "now", "arguments": ""}),
        (0, None, {"arguments": "{}"}),
        (1, "toolu_b", {"name": "now", "arguments": ""}),
        (1, None, {"arguments": "{}"}),
    ]


async def test_wire_stream_early_close_releases_the_connection(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(anthropic_sse(ANTHROPIC_EVENTS[:4]), asyncio.Event()))
    async with aclosing(make().chat_completion_stream(STREAM_WIRE_BODY)) as chunks:
        first = await anext(chunks)
    await upstream.wait_for_connections(0)
    assert first == _chunk({"role": "assistant", "content": ""})


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("overloaded_error", ProviderUnavailable),
        ("rate_limit_error", ProviderRateLimited),
        ("invalid_request_error", ProviderBadRequest),
    ],
)
async def test_wire_stream_error_event_mid_stream(
    upstream: Upstream, make: Make, error_type: str, expected: type[ProviderError]
) -> None:
    error = {"type": "error", "error": {"type": error_type, "message": "Overloaded"}}
    upstream.reply(event_stream(anthropic_sse([*ANTHROPIC_EVENTS[:4], ("error", error)])))
    chunks, raised = await collect_until_error(make().chat_completion_stream(STREAM_WIRE_BODY))
    assert (chunks[1:], type(raised)) == ([_chunk({"content": "Hi"})], expected)


async def test_wire_stream_429_raises_before_any_chunk(upstream: Upstream, make: Make) -> None:
    headers = {"retry-after": "12", "anthropic-ratelimit-requests-remaining": "0"}
    upstream.reply(replying(429, content=_error_body("rate_limit_error", "slow"), headers=headers))
    provider = make()
    chunks, error = await collect_until_error(provider.chat_completion_stream(STREAM_WIRE_BODY))
    assert isinstance(error, ProviderRateLimited)
    assert provider.last_rate_limit is not None
    assert (chunks, error.retry_after, provider.last_rate_limit.remaining_requests) == ([], 12.0, 0)


async def test_wire_stream_without_message_stop_is_bad_response(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(anthropic_sse(ANTHROPIC_EVENTS[:-1])))
    chunks, error = await collect_until_error(make().chat_completion_stream(STREAM_WIRE_BODY))
    assert (chunks[-1], type(error), error.message) == (
        _chunk({}, "stop"),
        ProviderBadResponse,
        "stream ended without message_stop",
    )


async def test_wire_stream_cut_mid_body_is_unavailable(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(anthropic_sse(ANTHROPIC_EVENTS[:4]), cut=True))
    chunks, error = await collect_until_error(make().chat_completion_stream(STREAM_WIRE_BODY))
    assert (len(chunks), type(error)) == (2, ProviderUnavailable)


_TOOL_CALL_BAD_ARGS = {
    "role": "assistant",
    "tool_calls": [
        {"id": "toolu_1", "type": "function", "function": {"name": "f", "arguments": '{"a": '}}
    ],
}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"response_format": {"type": "json_schema", "json_schema": {}}}, "json_schema"),
        ({"response_format": {"type": "json_object"}}, "json_object"),
        ({"n": 2}, "n=2"),
        (
            {"messages": [WIRE_BODY["messages"][0], _TOOL_CALL_BAD_ARGS]},
            "arguments of tool call 'toolu_1'",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            "needs a data: or https:// url",
        ),
        ({"messages": [{"role": "system", "content": "Be brief."}]}, "no user message"),
        ({"messages": [{"role": "assistant", "content": "Hi"}]}, "first non-system"),
        ({"tools": [{"type": "web_search"}]}, "only function tools"),
        ({"functions": [{"name": "f"}]}, "use tools"),
    ],
)
@pytest.mark.parametrize("streaming", [False, True])
async def test_wire_untranslatable_bodies_are_refused_locally(
    upstream: Upstream, make: Make, extra: dict[str, Any], message: str, streaming: bool
) -> None:
    body = {**WIRE_BODY, **extra}
    provider = make()
    if streaming:
        stream = provider.chat_completion_stream({**body, "stream": True})
        _, error = await collect_until_error(stream)
    else:
        with pytest.raises(ProviderBadRequest) as raised:
            await provider.chat_completion(body)
        error = raised.value
    assert (type(error), message in error.message) == (ProviderBadRequest, True)
    assert upstream.requests == []


async def test_a_turns_images_become_image_blocks_after_its_text(
    upstream: Upstream, stream: Stream
) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    images = ("data:image/png;base64,iVBORw0KGgo=", "https://images.example/cat.png")
    messages = [
        ChatMessage("user", "Hello"),
        ChatMessage("user", "What is this?", images),
    ]
    await collect(stream(ChatRequest(MODEL, messages, 100)))
    assert upstream.last.json()["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Hello"},
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
                {"type": "image", "source": {"type": "url", "url": images[1]}},
            ],
        }
    ]


async def test_an_image_only_turn_has_no_empty_text_block(
    upstream: Upstream, stream: Stream
) -> None:
    upstream.reply(event_stream(ANTHROPIC_STREAM))
    url = "https://images.example/cat.png"
    await collect(stream(ChatRequest(MODEL, [ChatMessage("user", "", (url,))], 100)))
    assert upstream.last.json()["messages"] == [
        {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": url}}]}
    ]
