import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from lockgate.providers import (
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
    RateLimitInfo,
    TextDelta,
    Usage,
    UsageReport,
)
from tests.providers.wire import (
    API_KEY,
    FIXED_NOW,
    OPENAI_CHUNKS,
    OPENAI_STREAM,
    ChunkStream,
    Exchange,
    collect,
    collect_until_error,
    event_stream,
    fixed_clock,
    openai_sse,
    raising,
    replying,
)

REQUEST = ChatRequest(
    model="gpt-4o-mini", messages=[ChatMessage("user", "Say hello")], max_tokens=50
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def make(exchange: Exchange, **cfg: Any) -> OpenAIProvider:
    config = OpenAIProviderConfig.model_validate({"type": "openai", **cfg})
    return OpenAIProvider("openai", config, API_KEY, exchange.transport, clock=fixed_clock)


def stream(exchange: Exchange, request: ChatRequest = REQUEST, **cfg: Any) -> AsyncIterator[Any]:
    return make(exchange, **cfg).stream_chat(request)


async def test_stream_yields_deltas_then_usage_then_finish() -> None:
    events = await collect(stream(event_stream(OPENAI_STREAM)))
    assert events == [
        TextDelta("Hello"),
        TextDelta(" there"),
        TextDelta("!"),
        UsageReport(Usage(input_tokens=9, output_tokens=3)),
        Finish("stop"),
    ]


async def test_stream_without_usage_chunk_still_finishes() -> None:
    body = openai_sse(OPENAI_CHUNKS[:-1])
    events = await collect(stream(event_stream(body)))
    assert events[-2:] == [TextDelta("!"), Finish("stop")]


async def test_chat_posts_to_chat_completions_with_bearer_key() -> None:
    exchange = event_stream(OPENAI_STREAM)
    await collect(stream(exchange))
    assert (str(exchange.last.url), exchange.last.headers["authorization"]) == (
        "https://api.openai.com/v1/chat/completions",
        f"Bearer {API_KEY}",
    )


async def test_chat_body_asks_for_usage_and_caps_tokens() -> None:
    exchange = event_stream(OPENAI_STREAM)
    request = ChatRequest("gpt-4o-mini", [ChatMessage("user", "hi")], 50, temperature=0.3)
    await collect(stream(exchange, request))
    assert exchange.last_json() == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 50,
        "temperature": 0.3,
    }


async def test_extras_are_passed_through() -> None:
    exchange = event_stream(OPENAI_STREAM)
    extra = {"seed": 7, "response_format": {"type": "json_object"}, "n": 1}
    await collect(stream(exchange, ChatRequest("m", REQUEST.messages, 5, extra=extra)))
    body = exchange.last_json()
    assert (body["seed"], body["response_format"], "n" in body) == (
        7,
        {"type": "json_object"},
        False,
    )


@pytest.mark.parametrize("extra", [{"max_tokens": 9999}, {"stream": False}, {"n": 3}])
async def test_extras_cannot_override_budgeted_parameters(extra: dict[str, Any]) -> None:
    exchange = event_stream(OPENAI_STREAM)
    with pytest.raises(ProviderBadRequest):
        await collect(stream(exchange, ChatRequest("m", REQUEST.messages, 5, extra=extra)))
    assert exchange.requests == []


async def test_reasoning_models_can_use_max_completion_tokens() -> None:
    exchange = event_stream(OPENAI_STREAM)
    await collect(stream(exchange, max_tokens_param="max_completion_tokens"))
    body = exchange.last_json()
    assert (body["max_completion_tokens"], "max_tokens" in body) == (50, False)


async def test_extra_headers_are_sent() -> None:
    exchange = event_stream(OPENAI_STREAM)
    await collect(stream(exchange, extra_headers={"OpenAI-Organization": "org-1"}))
    assert exchange.last.headers["openai-organization"] == "org-1"


async def test_azure_mode_uses_deployment_url_and_api_key_header() -> None:
    exchange = event_stream(OPENAI_STREAM)
    await collect(
        stream(
            exchange,
            base_url="https://res.openai.azure.com",
            azure_api_version="2024-10-21",
        )
    )
    request = exchange.last
    assert (str(request.url), request.headers["api-key"], "authorization" in request.headers) == (
        "https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions"
        "?api-version=2024-10-21",
        API_KEY,
        False,
    )


async def test_no_api_key_sends_no_authorization() -> None:
    exchange = event_stream(OPENAI_STREAM)
    cfg = OpenAIProviderConfig(type="openai", base_url="http://localhost:11434/v1")
    await collect(OpenAIProvider("ollama", cfg, None, exchange.transport).stream_chat(REQUEST))
    assert "authorization" not in exchange.last.headers


async def test_non_json_data_line_is_bad_response_after_earlier_deltas() -> None:
    body = openai_sse([OPENAI_CHUNKS[1], "{not json"])
    events, error = await collect_until_error(stream(event_stream(body)))
    assert (events, type(error)) == ([TextDelta("Hello")], ProviderBadResponse)


async def test_stream_ending_without_done_is_bad_response() -> None:
    body = openai_sse(OPENAI_CHUNKS, done=False)
    _, error = await collect_until_error(stream(event_stream(body)))
    assert isinstance(error, ProviderBadResponse)


async def test_error_chunk_mid_stream_is_unavailable() -> None:
    error_chunk = {"error": {"message": "The server had an error", "type": "server_error"}}
    _, error = await collect_until_error(
        stream(event_stream(openai_sse([OPENAI_CHUNKS[1], error_chunk])))
    )
    assert isinstance(error, ProviderUnavailable)


async def test_connection_dropped_mid_stream_is_unavailable() -> None:
    dropped = httpx.RemoteProtocolError("peer closed connection without sending complete body")
    body = ChunkStream([openai_sse(OPENAI_CHUNKS[:2], done=False)], error=dropped)
    exchange = Exchange(lambda _: httpx.Response(200, stream=body))
    events, error = await collect_until_error(stream(exchange))
    assert (events, type(error)) == ([TextDelta("Hello")], ProviderUnavailable)


async def test_abandoned_stream_closes_the_response() -> None:
    body = ChunkStream([OPENAI_STREAM])
    exchange = Exchange(lambda _: httpx.Response(200, stream=body))
    async with aclosing(make(exchange).stream_chat(REQUEST)) as events:
        async for _ in events:
            break
    assert body.closed


async def test_cancelled_consumer_closes_the_response() -> None:
    body = ChunkStream([openai_sse(OPENAI_CHUNKS[:2], done=False)], hang=True)
    provider = make(Exchange(lambda _: httpx.Response(200, stream=body)))
    first_token = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream_chat(REQUEST):
            first_token.set()

    task = asyncio.create_task(consume())
    await first_token.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert body.closed


def _error_body(message: str) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    ).encode()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ProviderBadRequest),
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderBadRequest),
        (408, ProviderTimeout),
        (429, ProviderRateLimited),
        (500, ProviderUnavailable),
        (503, ProviderUnavailable),
    ],
)
async def test_error_status_maps_to_error_class(status: int, expected: type[ProviderError]) -> None:
    exchange = replying(status, content=_error_body("upstream says no"))
    _, error = await collect_until_error(stream(exchange))
    assert (type(error), error.status, "upstream says no" in error.message) == (
        expected,
        status,
        True,
    )


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "Wed, 01 Jan 2025 12:00:30 GMT"}, 30.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({}, None),
    ],
)
async def test_rate_limited_carries_retry_after(
    headers: dict[str, str], seconds: float | None
) -> None:
    exchange = replying(429, content=_error_body("slow down"), headers=headers)
    _, error = await collect_until_error(stream(exchange))
    assert isinstance(error, ProviderRateLimited)
    assert error.retry_after == seconds


async def test_html_error_page_is_unavailable_with_its_text() -> None:
    exchange = replying(502, content=b"<html><body>502 Bad Gateway</body></html>")
    _, error = await collect_until_error(stream(exchange))
    assert (type(error), "502 Bad Gateway" in error.message) == (ProviderUnavailable, True)


async def test_connect_error_is_unavailable() -> None:
    _, error = await collect_until_error(stream(raising(httpx.ConnectError, "refused")))
    assert (type(error), error.retryable) == (ProviderUnavailable, True)


async def test_read_timeout_is_timeout() -> None:
    _, error = await collect_until_error(stream(raising(httpx.ReadTimeout, "timed out")))
    assert (type(error), error.code) == (ProviderTimeout, "provider_timeout")


async def test_api_key_echoed_by_upstream_is_redacted() -> None:
    body = _error_body(f"Incorrect API key provided: {API_KEY}.")
    _, error = await collect_until_error(stream(replying(401, content=body)))
    assert API_KEY not in f"{error} {error!r} {error.message} {error.args}"


async def test_api_key_in_transport_error_is_redacted() -> None:
    _, error = await collect_until_error(stream(raising(httpx.ConnectError, f"bad {API_KEY}")))
    assert API_KEY not in str(error)


async def test_rate_limit_headers_are_recorded() -> None:
    headers = {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "199950",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    provider = make(event_stream(OPENAI_STREAM, headers))
    await collect(provider.stream_chat(REQUEST))
    assert provider.last_rate_limit == RateLimitInfo(
        remaining_requests=9999,
        remaining_tokens=199950,
        reset_requests_s=0.006,
        reset_tokens_s=360.0,
        limit_requests=10000,
        observed_at=FIXED_NOW,
    )


async def test_rate_limit_headers_are_recorded_on_429_too() -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}
    provider = make(replying(429, content=_error_body("slow"), headers=headers))
    with pytest.raises(ProviderRateLimited):
        await collect(provider.stream_chat(REQUEST))
    assert provider.last_rate_limit is not None
    assert provider.last_rate_limit.remaining_requests == 0


def _images_body(*datas: bytes) -> bytes:
    return json.dumps(
        {"created": 1, "data": [{"b64_json": base64.b64encode(d).decode()} for d in datas]}
    ).encode()


async def test_images_are_decoded_from_base64() -> None:
    provider = make(replying(200, content=_images_body(PNG, PNG)))
    images = await provider.generate_images(ImageRequest("dall-e-3", "a cat", "1024x1024", 2))
    assert [(image.data, image.mime_type) for image in images] == [(PNG, "image/png")] * 2


async def test_images_request_asks_for_base64() -> None:
    exchange = replying(200, content=_images_body(PNG))
    await make(exchange).generate_images(ImageRequest("dall-e-3", "a cat", "1024x1024", 1))
    assert (exchange.last.url.path, exchange.last_json()) == (
        "/v1/images/generations",
        {
            "model": "dall-e-3",
            "prompt": "a cat",
            "n": 1,
            "size": "1024x1024",
            "response_format": "b64_json",
        },
    )


async def test_gpt_image_models_are_not_sent_response_format() -> None:
    exchange = replying(200, content=_images_body(PNG))
    await make(exchange).generate_images(ImageRequest("gpt-image-1", "a cat", "1024x1024", 1))
    assert "response_format" not in exchange.last_json()


async def test_image_urls_instead_of_base64_are_bad_response() -> None:
    body = json.dumps({"data": [{"url": "https://example.com/x.png"}]}).encode()
    with pytest.raises(ProviderBadResponse):
        await make(replying(200, content=body)).generate_images(
            ImageRequest("dall-e-2", "x", "256x256", 1)
        )


async def test_embeddings_are_ordered_by_index_with_usage() -> None:
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
            {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }
    exchange = replying(200, content=json.dumps(body).encode())
    result = await make(exchange).embed("text-embedding-3-small", ["a", "b"])
    assert (result.vectors, result.usage, exchange.last.url.path) == (
        [[1.0, 0.0], [0.0, 1.0]],
        Usage(8, 0),
        "/v1/embeddings",
    )


async def test_embeddings_count_mismatch_is_bad_response() -> None:
    body = {"data": [{"index": 0, "embedding": [1.0]}], "usage": {"prompt_tokens": 1}}
    with pytest.raises(ProviderBadResponse):
        await make(replying(200, content=json.dumps(body).encode())).embed("m", ["a", "b"])


async def test_list_models_returns_ids() -> None:
    body = {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}, {"id": "o3-mini"}]}
    provider = make(replying(200, content=json.dumps(body).encode()))
    assert await provider.list_models() == ["gpt-4o", "o3-mini"]


async def test_json_body_missing_fields_is_bad_response() -> None:
    with pytest.raises(ProviderBadResponse):
        await make(replying(200, content=b'{"object": "list"}')).list_models()


async def test_aclose_closes_the_transport() -> None:
    exchange = replying(200)
    await make(exchange).aclose()
    assert exchange.closed
