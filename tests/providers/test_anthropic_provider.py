import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
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
from tests.providers.wire import (
    ANTHROPIC_EVENTS,
    ANTHROPIC_STREAM,
    API_KEY,
    Exchange,
    anthropic_sse,
    collect,
    collect_until_error,
    event_stream,
    fixed_clock,
    raising,
    replying,
)

MODEL = "claude-3-5-haiku-20241022"
REQUEST = ChatRequest(MODEL, [ChatMessage("user", "Say hi")], max_tokens=64)


def make(exchange: Exchange, **cfg: Any) -> AnthropicProvider:
    config = AnthropicProviderConfig.model_validate({"type": "anthropic", **cfg})
    return AnthropicProvider("claude", config, API_KEY, exchange.transport, clock=fixed_clock)


def stream(exchange: Exchange, request: ChatRequest = REQUEST) -> AsyncIterator[StreamEvent]:
    return make(exchange).stream_chat(request)


def _replace(name: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(event, data if event == name else payload) for event, payload in ANTHROPIC_EVENTS]


async def test_stream_yields_deltas_then_usage_then_finish() -> None:
    events = await collect(stream(event_stream(ANTHROPIC_STREAM)))
    assert events == [
        TextDelta("Hi"),
        TextDelta(" there."),
        UsageReport(Usage(input_tokens=25, output_tokens=15)),
        Finish("stop"),
    ]


async def test_request_goes_to_messages_with_key_and_version_headers() -> None:
    exchange = event_stream(ANTHROPIC_STREAM)
    await collect(stream(exchange))
    headers = exchange.last.headers
    assert (str(exchange.last.url), headers["x-api-key"], headers["anthropic-version"]) == (
        "https://api.anthropic.com/v1/messages",
        API_KEY,
        "2023-06-01",
    )


async def test_systems_are_lifted_and_same_role_turns_merged() -> None:
    exchange = event_stream(ANTHROPIC_STREAM)
    messages = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Hello"),
        ChatMessage("user", "Are you there?"),
        ChatMessage("assistant", "Yes."),
        ChatMessage("system", "Use French."),
        ChatMessage("user", "Why?"),
    ]
    await collect(stream(exchange, ChatRequest(MODEL, messages, 100)))
    assert exchange.last_json() == {
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


async def test_openai_style_options_are_translated() -> None:
    exchange = event_stream(ANTHROPIC_STREAM)
    extra = {"stop": "END", "top_p": 0.9, "seed": 3}
    await collect(stream(exchange, ChatRequest(MODEL, REQUEST.messages, 8, 1.7, extra)))
    body = exchange.last_json()
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
    messages: list[ChatMessage],
) -> None:
    exchange = event_stream(ANTHROPIC_STREAM)
    with pytest.raises(ProviderBadRequest):
        await collect(stream(exchange, ChatRequest(MODEL, messages, 8)))
    assert exchange.requests == []


async def test_max_tokens_stop_reason_becomes_length() -> None:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
        "usage": {"output_tokens": 64},
    }
    events = await collect(stream(event_stream(anthropic_sse(_replace("message_delta", delta)))))
    assert events[-2:] == [UsageReport(Usage(25, 64)), Finish("length")]


async def test_cache_tokens_count_as_input() -> None:
    start: dict[str, Any] = json.loads(json.dumps(ANTHROPIC_EVENTS[0][1]))
    start["message"]["usage"].update(cache_creation_input_tokens=100, cache_read_input_tokens=7)
    events = await collect(stream(event_stream(anthropic_sse(_replace("message_start", start)))))
    assert UsageReport(Usage(132, 15)) in events


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
    error_type: str, expected: type[ProviderError]
) -> None:
    error = {"type": "error", "error": {"type": error_type, "message": "Overloaded"}}
    body = anthropic_sse([*ANTHROPIC_EVENTS[:4], ("error", error)])
    events, raised = await collect_until_error(stream(event_stream(body)))
    assert (events, type(raised)) == ([TextDelta("Hi")], expected)


async def test_stream_without_message_stop_is_bad_response() -> None:
    body = anthropic_sse(ANTHROPIC_EVENTS[:-1])
    _, error = await collect_until_error(stream(event_stream(body)))
    assert isinstance(error, ProviderBadResponse)


async def test_malformed_event_is_bad_response() -> None:
    body = anthropic_sse([*ANTHROPIC_EVENTS[:3], ("content_block_delta", '{"type": "cont')])
    _, error = await collect_until_error(stream(event_stream(body)))
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
    status: int, error_type: str, expected: type[ProviderError]
) -> None:
    exchange = replying(status, content=_error_body(error_type, "nope: details"))
    _, error = await collect_until_error(stream(exchange))
    assert (type(error), error.status, "nope: details" in error.message) == (
        expected,
        status,
        True,
    )


async def test_rate_limited_reads_retry_after() -> None:
    exchange = replying(
        429, content=_error_body("rate_limit_error", "slow"), headers={"retry-after": "12"}
    )
    _, error = await collect_until_error(stream(exchange))
    assert isinstance(error, ProviderRateLimited)
    assert error.retry_after == 12.0


async def test_read_timeout_is_timeout() -> None:
    _, error = await collect_until_error(stream(raising(httpx.ReadTimeout, "timed out")))
    assert isinstance(error, ProviderTimeout)


async def test_connect_error_is_unavailable() -> None:
    _, error = await collect_until_error(stream(raising(httpx.ConnectError, "refused")))
    assert isinstance(error, ProviderUnavailable)


async def test_api_key_echoed_by_upstream_is_redacted() -> None:
    body = _error_body("authentication_error", f"invalid x-api-key {API_KEY}")
    _, error = await collect_until_error(stream(replying(401, content=body)))
    assert API_KEY not in f"{error} {error!r} {error.message}"


async def test_rate_limit_headers_reset_instants_become_seconds() -> None:
    headers = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2025-01-01T12:00:01Z",
        "anthropic-ratelimit-tokens-remaining": "39000",
        "anthropic-ratelimit-tokens-reset": "2025-01-01T12:00:45.5+00:00",
    }
    provider = make(event_stream(ANTHROPIC_STREAM, headers))
    await collect(provider.stream_chat(REQUEST))
    info = provider.last_rate_limit
    assert info is not None
    assert (info.limit_requests, info.remaining_requests, info.remaining_tokens) == (50, 49, 39000)
    assert (info.reset_requests_s, info.reset_tokens_s) == (1.0, 45.5)


async def test_images_are_refused() -> None:
    provider = make(replying(200))
    with pytest.raises(ProviderBadRequest, match="does not generate images"):
        await provider.generate_images(ImageRequest(MODEL, "cat", "1024x1024", 1))


async def test_embeddings_are_refused() -> None:
    with pytest.raises(ProviderBadRequest):
        await make(replying(200)).embed(MODEL, ["a"])


async def test_list_models_follows_pagination() -> None:
    pages = {
        None: {"data": [{"id": "claude-a"}], "has_more": True, "last_id": "claude-a"},
        "claude-a": {"data": [{"id": "claude-b"}], "has_more": False, "last_id": "claude-b"},
    }
    exchange = Exchange(
        lambda request: httpx.Response(200, json=pages[request.url.params.get("after_id")])
    )
    assert (await make(exchange).list_models(), exchange.last.url.path) == (
        ["claude-a", "claude-b"],
        "/v1/models",
    )
