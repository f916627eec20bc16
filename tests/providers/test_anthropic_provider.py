import asyncio
import json
from collections.abc import AsyncGenerator, Callable
from typing import Any

import pytest

from lockgate.providers import (
    AnthropicProvider,
    AnthropicProviderConfig,
    ChatMessage,
    ChatRequest,
    Finish,
    ImageRequest,
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
from tests.fixtures.ports import free_port
from tests.providers.wire import (
    ANTHROPIC_EVENTS,
    ANTHROPIC_STREAM,
    API_KEY,
    Closer,
    Recorded,
    Reply,
    Upstream,
    anthropic_sse,
    collect,
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
