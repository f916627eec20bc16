import asyncio
import base64
import gzip
import json
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

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
from tests.fixtures.ports import free_port
from tests.providers.wire import (
    API_KEY,
    FIXED_NOW,
    OPENAI_CHUNKS,
    OPENAI_COMPLETION,
    OPENAI_STREAM,
    Closer,
    Reply,
    Upstream,
    collect,
    collect_all,
    collect_until_error,
    event_stream,
    fixed_clock,
    json_reply,
    openai_sse,
    replying,
)

REQUEST = ChatRequest(
    model="gpt-4o-mini", messages=[ChatMessage("user", "Say hello")], max_tokens=50
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
TINY = {"read": 0.05, "connect": 0.05, "pool": 0.05, "write": 0.05}

Make = Callable[..., OpenAIProvider]


@pytest.fixture
def make(upstream: Upstream, closing: Closer) -> Make:
    """`make(**cfg)`: a provider whose base_url is the local upstream's `/v1` unless overridden."""

    def build(api_key: str | None = API_KEY, **cfg: Any) -> OpenAIProvider:
        fields = {"type": "openai", "base_url": f"{upstream.url}/v1", **cfg}
        config = OpenAIProviderConfig.model_validate(fields)
        return closing(OpenAIProvider("openai", config, api_key, clock=fixed_clock))

    return build


def _error_body(message: str) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    ).encode()


async def test_stream_yields_deltas_then_usage_then_finish(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    events = await collect(make().stream_chat(REQUEST))
    assert events == [
        TextDelta("Hello"),
        TextDelta(" there"),
        TextDelta("!"),
        UsageReport(Usage(input_tokens=9, output_tokens=3)),
        Finish("stop"),
    ]


async def test_stream_without_usage_chunk_still_finishes(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS[:-1])))
    events = await collect(make().stream_chat(REQUEST))
    assert events[-2:] == [TextDelta("!"), Finish("stop")]


async def test_chat_posts_to_chat_completions_with_bearer_key(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    await collect(make().stream_chat(REQUEST))
    request = upstream.last
    assert (
        request.method,
        request.target,
        request.headers["authorization"],
        request.headers["user-agent"],
        request.headers["content-type"],
    ) == ("POST", "/v1/chat/completions", f"Bearer {API_KEY}", "lockgate/0.1", "application/json")


async def test_chat_body_asks_for_usage_and_caps_tokens(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    request = ChatRequest("gpt-4o-mini", [ChatMessage("user", "hi")], 50, temperature=0.3)
    await collect(make().stream_chat(request))
    assert upstream.last.json() == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 50,
        "temperature": 0.3,
    }


async def test_extras_are_passed_through(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    extra = {"seed": 7, "response_format": {"type": "json_object"}, "n": 1}
    await collect(make().stream_chat(ChatRequest("m", REQUEST.messages, 5, extra=extra)))
    body = upstream.last.json()
    assert (body["seed"], body["response_format"], "n" in body) == (
        7,
        {"type": "json_object"},
        False,
    )


async def test_integers_beyond_64_bits_are_still_sent(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    extra = {"seed": 2**70}
    await collect(make().stream_chat(ChatRequest("m", REQUEST.messages, 5, extra=extra)))
    assert upstream.last.json()["seed"] == 2**70


@pytest.mark.parametrize("extra", [{"max_tokens": 9999}, {"stream": False}, {"n": 3}])
async def test_extras_cannot_override_budgeted_parameters(
    upstream: Upstream, make: Make, extra: dict[str, Any]
) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    with pytest.raises(ProviderBadRequest):
        await collect(make().stream_chat(ChatRequest("m", REQUEST.messages, 5, extra=extra)))
    assert upstream.requests == []


async def test_reasoning_models_can_use_max_completion_tokens(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    await collect(make(max_tokens_param="max_completion_tokens").stream_chat(REQUEST))
    body = upstream.last.json()
    assert (body["max_completion_tokens"], "max_tokens" in body) == (50, False)


async def test_extra_headers_are_sent_and_may_replace_the_user_agent(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    headers = {"OpenAI-Organization": "org-1", "user-agent": "custom/2"}
    await collect(make(extra_headers=headers).stream_chat(REQUEST))
    received = upstream.last.headers
    assert (received["openai-organization"], received.getall("User-Agent")) == (
        "org-1",
        ["custom/2"],
    )


async def test_azure_mode_uses_deployment_url_and_api_key_header(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    provider = make(base_url=upstream.url, azure_api_version="2024-10-21")
    await collect(provider.stream_chat(REQUEST))
    request = upstream.last
    assert (request.target, request.headers["api-key"], "authorization" in request.headers) == (
        "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
        API_KEY,
        False,
    )


async def test_no_api_key_sends_no_authorization(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    await collect(make(api_key=None).stream_chat(REQUEST))
    assert "authorization" not in upstream.last.headers


async def test_non_json_data_line_is_bad_response_after_earlier_deltas(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(openai_sse([OPENAI_CHUNKS[1], "{not json"])))
    events, error = await collect_until_error(make().stream_chat(REQUEST))
    assert (events, type(error)) == ([TextDelta("Hello")], ProviderBadResponse)


async def test_stream_ending_without_done_is_bad_response(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS, done=False)))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert (type(error), error.message) == (ProviderBadResponse, "stream ended without [DONE]")


async def test_error_chunk_mid_stream_is_unavailable(upstream: Upstream, make: Make) -> None:
    error_chunk = {"error": {"message": "The server had an error", "type": "server_error"}}
    upstream.reply(event_stream(openai_sse([OPENAI_CHUNKS[1], error_chunk])))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert isinstance(error, ProviderUnavailable)


async def test_connection_dropped_mid_stream_is_unavailable(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS[:2], done=False), cut=True))
    events, error = await collect_until_error(make().stream_chat(REQUEST))
    assert (events, type(error)) == ([TextDelta("Hello")], ProviderUnavailable)


async def test_lines_cut_anywhere_across_reads_are_reassembled(
    upstream: Upstream, make: Make
) -> None:
    """The first read ends mid-line (and mid-character); the rest is only sent once the first
    delta has come out, so the two halves cannot arrive in one read."""
    raw_utf8 = json.dumps(
        {"choices": [{"index": 0, "delta": {"content": "été"}}]}, ensure_ascii=False
    )
    body = openai_sse([OPENAI_CHUNKS[1], raw_utf8, *OPENAI_CHUNKS[4:]])
    cut = body.index("été".encode()) + 1  # inside the two bytes of "é"
    rest = asyncio.Event()
    upstream.reply(event_stream(body[:cut], rest, body[cut:]))
    seen = []
    async with aclosing(make().stream_chat(REQUEST)) as events:
        async for event in events:
            seen.append(event)
            rest.set()
    assert seen == [TextDelta("Hello"), TextDelta("été"), UsageReport(Usage(9, 3)), Finish("stop")]


async def test_crlf_framing_split_between_cr_and_lf(upstream: Upstream, make: Make) -> None:
    body = OPENAI_STREAM.replace(b"\n", b"\r\n")
    cut = body.index(b"\r\n") + 1
    upstream.reply(event_stream(body[:cut], body[cut:]))
    events = await collect(make().stream_chat(REQUEST))
    assert events[-1] == Finish("stop")


async def test_a_100_kb_sse_line_is_read_whole(upstream: Upstream, make: Make) -> None:
    big = "x" * 100_000
    chunk = {"choices": [{"index": 0, "delta": {"content": big}, "finish_reason": "stop"}]}
    upstream.reply(event_stream(openai_sse([chunk])))
    events = await collect(make().stream_chat(REQUEST))
    assert events == [TextDelta(big), Finish("stop")]


async def test_gzipped_stream_is_decompressed(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(gzip.compress(OPENAI_STREAM), headers={"content-encoding": "gzip"}))
    events = await collect(make().stream_chat(REQUEST))
    assert events[-1] == Finish("stop")


async def test_abandoned_stream_closes_the_connection(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS[:2], done=False), asyncio.Event()))
    async with aclosing(make().stream_chat(REQUEST)) as events:
        async for _ in events:
            break
    await upstream.wait_for_connections(0)
    assert upstream.connections_opened == 1


async def test_cancelled_consumer_closes_the_connection(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS[:2], done=False), asyncio.Event()))
    provider = make()
    first_token = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream_chat(REQUEST):
            first_token.set()

    task = asyncio.create_task(consume())
    await first_token.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await upstream.wait_for_connections(0)
    assert upstream.connections_opened == 1


async def test_connection_is_reused_between_calls(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    provider = make()
    for _ in range(3):
        await collect(provider.stream_chat(REQUEST))
    assert (len(upstream.requests), upstream.connections_opened) == (3, 1)


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
async def test_error_status_maps_to_error_class(
    upstream: Upstream, make: Make, status: int, expected: type[ProviderError]
) -> None:
    upstream.reply(replying(status, content=_error_body("upstream says no")))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert (type(error), error.status, "upstream says no" in error.message) == (
        expected,
        status,
        True,
    )


async def test_redirect_is_not_followed(upstream: Upstream, make: Make) -> None:
    upstream.reply(replying(307, headers={"location": f"{upstream.url}/elsewhere"}))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert (type(error), error.status, len(upstream.requests)) == (ProviderBadResponse, 307, 1)


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
    upstream: Upstream, make: Make, headers: dict[str, str], seconds: float | None
) -> None:
    upstream.reply(replying(429, content=_error_body("slow down"), headers=headers))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert isinstance(error, ProviderRateLimited)
    assert error.retry_after == seconds


async def test_html_error_page_is_unavailable_with_its_text(upstream: Upstream, make: Make) -> None:
    upstream.reply(replying(502, content=b"<html><body>502 Bad Gateway</body></html>"))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert (type(error), "502 Bad Gateway" in error.message) == (ProviderUnavailable, True)


async def test_connect_error_is_unavailable(make: Make) -> None:
    provider = make(base_url=f"http://127.0.0.1:{free_port()}/v1")
    _, error = await collect_until_error(provider.stream_chat(REQUEST))
    assert (type(error), error.retryable) == (ProviderUnavailable, True)


async def test_read_timeout_mid_stream_is_timeout(upstream: Upstream, make: Make) -> None:
    never = asyncio.Event()
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS[:2], done=False), never))
    async with asyncio.timeout(5):
        events, error = await collect_until_error(make(timeouts=TINY).stream_chat(REQUEST))
    assert (events, type(error), error.code) == (
        [TextDelta("Hello")],
        ProviderTimeout,
        "provider_timeout",
    )


async def test_stalled_upload_is_timeout(upstream: Upstream, make: Make) -> None:
    """The upstream never reads the body: only the `write` part of the send bound can end it."""
    upstream.stall_request_bodies = True
    huge = ChatRequest("m", [ChatMessage("user", "x" * 32_000_000)], 5)
    async with asyncio.timeout(5):
        _, error = await collect_until_error(make(timeouts=TINY).stream_chat(huge))
    assert type(error) is ProviderTimeout


async def test_waiting_for_a_pooled_connection_is_timeout(upstream: Upstream, make: Make) -> None:
    never = asyncio.Event()
    upstream.reply(event_stream(openai_sse(OPENAI_CHUNKS[:2], done=False), never))
    provider = make(max_connections=1, timeouts={"pool": 0.05, "connect": 0.05})
    async with aclosing(provider.stream_chat(REQUEST)) as holding:
        assert await anext(holding) == TextDelta("Hello")  # the only connection is now busy
        async with asyncio.timeout(5):
            _, error = await collect_until_error(provider.stream_chat(REQUEST))
    assert (type(error), len(upstream.requests)) == (ProviderTimeout, 1)


async def test_api_key_echoed_by_upstream_is_redacted(upstream: Upstream, make: Make) -> None:
    upstream.reply(replying(401, content=_error_body(f"Incorrect API key provided: {API_KEY}.")))
    _, error = await collect_until_error(make().stream_chat(REQUEST))
    assert API_KEY not in f"{error} {error!r} {error.message} {error.args}"


async def test_api_key_in_transport_error_is_redacted(make: Make) -> None:
    """An unusable base_url is our mistake (BadRequest), and its text can contain the key."""
    provider = make(base_url=f"http://{API_KEY}:notaport/v1")
    _, error = await collect_until_error(provider.stream_chat(REQUEST))
    assert (type(error), API_KEY in str(error), "[redacted]" in str(error)) == (
        ProviderBadRequest,
        False,
        True,
    )


async def test_non_http_base_url_is_bad_request(make: Make) -> None:
    _, error = await collect_until_error(make(base_url="ftp://example.com/v1").stream_chat(REQUEST))
    assert type(error) is ProviderBadRequest


async def test_header_aiohttp_refuses_to_send_is_bad_request(
    upstream: Upstream, make: Make
) -> None:
    provider = make(extra_headers={"x-note": "two\r\nlines"})
    _, error = await collect_until_error(provider.stream_chat(REQUEST))
    assert (type(error), upstream.requests) == (ProviderBadRequest, [])


async def test_proxy_from_the_environment_is_used(
    upstream: Upstream, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", upstream.url)
    upstream.reply(event_stream(OPENAI_STREAM))
    await collect(make(base_url="http://api.example.invalid/v1").stream_chat(REQUEST))
    assert upstream.last.target == "http://api.example.invalid/v1/chat/completions"


async def test_rate_limit_headers_are_recorded(upstream: Upstream, make: Make) -> None:
    headers = {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "199950",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    upstream.reply(event_stream(OPENAI_STREAM, headers=headers))
    provider = make()
    await collect(provider.stream_chat(REQUEST))
    assert provider.last_rate_limit == RateLimitInfo(
        remaining_requests=9999,
        remaining_tokens=199950,
        reset_requests_s=0.006,
        reset_tokens_s=360.0,
        limit_requests=10000,
        observed_at=FIXED_NOW,
    )


async def test_rate_limit_headers_are_recorded_on_429_too(upstream: Upstream, make: Make) -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}
    upstream.reply(replying(429, content=_error_body("slow"), headers=headers))
    provider = make()
    with pytest.raises(ProviderRateLimited):
        await collect(provider.stream_chat(REQUEST))
    assert provider.last_rate_limit is not None
    assert provider.last_rate_limit.remaining_requests == 0


def _images_body(*datas: bytes) -> dict[str, Any]:
    return {"created": 1, "data": [{"b64_json": base64.b64encode(d).decode()} for d in datas]}


async def test_images_are_decoded_from_base64(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(_images_body(PNG, PNG)))
    images = await make().generate_images(ImageRequest("dall-e-3", "a cat", "1024x1024", 2))
    assert [(image.data, image.mime_type) for image in images] == [(PNG, "image/png")] * 2


async def test_images_request_asks_for_base64(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(_images_body(PNG)))
    await make().generate_images(ImageRequest("dall-e-3", "a cat", "1024x1024", 1))
    assert (upstream.last.path, upstream.last.json()) == (
        "/v1/images/generations",
        {
            "model": "dall-e-3",
            "prompt": "a cat",
            "n": 1,
            "size": "1024x1024",
            "response_format": "b64_json",
        },
    )


async def test_gpt_image_models_are_not_sent_response_format(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(json_reply(_images_body(PNG)))
    await make().generate_images(ImageRequest("gpt-image-1", "a cat", "1024x1024", 1))
    assert "response_format" not in upstream.last.json()


async def test_image_urls_instead_of_base64_are_bad_response(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(json_reply({"data": [{"url": "https://example.com/x.png"}]}))
    with pytest.raises(ProviderBadResponse):
        await make().generate_images(ImageRequest("dall-e-2", "x", "256x256", 1))


async def test_embeddings_are_ordered_by_index_with_usage(upstream: Upstream, make: Make) -> None:
    upstream.reply(
        json_reply(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
                    {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]},
                ],
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 8, "total_tokens": 8},
            }
        )
    )
    result = await make().embed("text-embedding-3-small", ["a", "b"])
    assert (result.vectors, result.usage, upstream.last.path, upstream.last.json()) == (
        [[1.0, 0.0], [0.0, 1.0]],
        Usage(8, 0),
        "/v1/embeddings",
        {"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float"},
    )


async def test_embeddings_count_mismatch_is_bad_response(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply({"data": [{"index": 0, "embedding": [1.0]}], "usage": {}}))
    with pytest.raises(ProviderBadResponse):
        await make().embed("m", ["a", "b"])


async def test_list_models_returns_ids(upstream: Upstream, make: Make) -> None:
    body = {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}, {"id": "o3-mini"}]}
    upstream.reply(json_reply(body))
    assert (await make().list_models(), upstream.last.method, upstream.last.target) == (
        ["gpt-4o", "o3-mini"],
        "GET",
        "/v1/models",
    )


async def test_azure_list_models_uses_the_api_version(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply({"data": [{"id": "gpt-4o"}]}))
    provider = make(base_url=upstream.url, azure_api_version="2024-10-21")
    assert (await provider.list_models(), upstream.last.target) == (
        ["gpt-4o"],
        "/openai/models?api-version=2024-10-21",
    )


async def test_json_body_missing_fields_is_bad_response(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply({"object": "list"}))
    with pytest.raises(ProviderBadResponse):
        await make().list_models()


async def test_aclose_closes_the_connections(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply({"data": []}))
    provider = make()
    await provider.list_models()
    await upstream.wait_for_connections(1)  # kept alive in the pool
    await provider.aclose()
    await upstream.wait_for_connections(0)
    assert upstream.connections_opened == 1


async def test_closed_provider_refuses_calls(upstream: Upstream, make: Make) -> None:
    provider = make()
    await provider.aclose()
    with pytest.raises(ProviderUnavailable, match="closed"):
        await provider.list_models()
    assert upstream.requests == []


# -- chat_completion / chat_completion_stream: the /v1 gateway's pass-through -------------------

PASSTHROUGH_BODY: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Weather in Paris?"}],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
            },
        }
    ],
    "tool_choice": "auto",
    "logprobs": True,
    "max_tokens": 64,
    "stream": False,
}
STREAM_BODY = {**PASSTHROUGH_BODY, "stream": True, "stream_options": {"include_usage": True}}


async def test_chat_completion_forwards_the_body_and_returns_the_object(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(json_reply(OPENAI_COMPLETION))
    result = await make().chat_completion(PASSTHROUGH_BODY)
    request = upstream.last
    assert (result, request.method, request.target, request.json()) == (
        OPENAI_COMPLETION,
        "POST",
        "/v1/chat/completions",
        PASSTHROUGH_BODY,
    )
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


async def test_chat_completion_azure_path(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(OPENAI_COMPLETION))
    provider = make(base_url=upstream.url, azure_api_version="2024-10-21")
    await provider.chat_completion(PASSTHROUGH_BODY)
    assert (upstream.last.target, upstream.last.headers["api-key"]) == (
        "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
        API_KEY,
    )


async def test_chat_completion_azure_needs_a_model(upstream: Upstream, make: Make) -> None:
    provider = make(base_url=upstream.url, azure_api_version="2024-10-21")
    with pytest.raises(ProviderBadRequest):
        await provider.chat_completion({"messages": []})
    assert upstream.requests == []


async def test_chat_completion_429_carries_retry_after_and_quota(
    upstream: Upstream, make: Make
) -> None:
    headers = {"retry-after": "3", "x-ratelimit-remaining-requests": "0"}
    upstream.reply(replying(429, content=_error_body("slow down"), headers=headers))
    provider = make()
    with pytest.raises(ProviderRateLimited) as caught:
        await provider.chat_completion(PASSTHROUGH_BODY)
    assert provider.last_rate_limit is not None
    assert (caught.value.retry_after, provider.last_rate_limit.remaining_requests) == (3.0, 0)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, ProviderUnavailable), (400, ProviderBadRequest), (401, ProviderAuthError)],
)
async def test_chat_completion_error_status(
    upstream: Upstream, make: Make, status: int, expected: type[ProviderError]
) -> None:
    upstream.reply(replying(status, content=_error_body(f"no: {API_KEY}")))
    with pytest.raises(expected) as caught:
        await make().chat_completion(PASSTHROUGH_BODY)
    assert (caught.value.status, API_KEY in str(caught.value)) == (status, False)


@pytest.mark.parametrize(
    "content",
    [b"<html>oops</html>", b"[1, 2]", b'{"object": "chat.completion"}', b'{"choices": {}}'],
)
async def test_chat_completion_without_a_choices_object_is_bad_response(
    upstream: Upstream, make: Make, content: bytes
) -> None:
    upstream.reply(replying(200, content=content))
    with pytest.raises(ProviderBadResponse):
        await make().chat_completion(PASSTHROUGH_BODY)


async def test_chat_completion_records_quota_headers(upstream: Upstream, make: Make) -> None:
    upstream.reply(json_reply(OPENAI_COMPLETION, headers={"x-ratelimit-remaining-tokens": "42"}))
    provider = make()
    await provider.chat_completion(PASSTHROUGH_BODY)
    assert provider.last_rate_limit == RateLimitInfo(remaining_tokens=42, observed_at=FIXED_NOW)


async def test_chat_completion_gzipped_body_is_decompressed(upstream: Upstream, make: Make) -> None:
    content = gzip.compress(json.dumps(OPENAI_COMPLETION).encode())
    upstream.reply(replying(200, content=content, headers={"content-encoding": "gzip"}))
    assert await make().chat_completion(PASSTHROUGH_BODY) == OPENAI_COMPLETION


async def test_chat_completion_read_timeout(upstream: Upstream, make: Make) -> None:
    upstream.reply(Reply(before_headers=asyncio.Event()))  # never set: the upstream stalls
    async with asyncio.timeout(5):
        with pytest.raises(ProviderTimeout):
            await make(timeouts=TINY).chat_completion(PASSTHROUGH_BODY)


async def test_chat_completion_cut_body_is_unavailable(upstream: Upstream, make: Make) -> None:
    content = json.dumps(OPENAI_COMPLETION).encode()
    upstream.reply(Reply(body=[content[:40]], cut=True))
    with pytest.raises(ProviderUnavailable):
        await make().chat_completion(PASSTHROUGH_BODY)


def _passthrough_chunks() -> list[dict[str, Any]]:
    tool_call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    return [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [tool_call]}}]},
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"lo'}}]},
                    "logprobs": {"content": []},
                    "finish_reason": None,
                }
            ]
        },
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}], "usage": None},
        {"choices": [], "usage": {"prompt_tokens": 82, "completion_tokens": 17}},
    ]


async def test_chat_completion_stream_forwards_the_body_and_yields_each_chunk(
    upstream: Upstream, make: Make
) -> None:
    chunks = _passthrough_chunks()
    upstream.reply(event_stream(openai_sse(chunks)))
    got = [chunk async for chunk in make().chat_completion_stream(STREAM_BODY)]
    assert (got, upstream.last.target, upstream.last.json()) == (
        chunks,
        "/v1/chat/completions",
        STREAM_BODY,
    )


async def test_chat_completion_stream_azure_path(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(openai_sse(_passthrough_chunks())))
    provider = make(base_url=upstream.url, azure_api_version="2024-10-21")
    await collect_all(provider.chat_completion_stream(STREAM_BODY))
    assert upstream.last.target == (
        "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"
    )


async def test_chat_completion_stream_429_raises_before_any_chunk(
    upstream: Upstream, make: Make
) -> None:
    headers = {"retry-after": "2", "x-ratelimit-remaining-requests": "0"}
    upstream.reply(replying(429, content=_error_body("slow down"), headers=headers))
    provider = make()
    chunks, error = await collect_until_error(provider.chat_completion_stream(STREAM_BODY))
    assert isinstance(error, ProviderRateLimited)
    assert provider.last_rate_limit is not None
    assert (chunks, error.retry_after, provider.last_rate_limit.remaining_requests) == ([], 2.0, 0)


@pytest.mark.parametrize(
    ("status", "expected"), [(500, ProviderUnavailable), (400, ProviderBadRequest)]
)
async def test_chat_completion_stream_error_status_raises_before_any_chunk(
    upstream: Upstream, make: Make, status: int, expected: type[ProviderError]
) -> None:
    upstream.reply(replying(status, content=_error_body("nope")))
    chunks, error = await collect_until_error(make().chat_completion_stream(STREAM_BODY))
    assert (chunks, type(error), error.status) == ([], expected, status)


async def test_chat_completion_stream_records_quota_headers(upstream: Upstream, make: Make) -> None:
    headers = {"x-ratelimit-remaining-requests": "77"}
    upstream.reply(event_stream(openai_sse(_passthrough_chunks()), headers=headers))
    provider = make()
    await collect_all(provider.chat_completion_stream(STREAM_BODY))
    assert provider.last_rate_limit == RateLimitInfo(remaining_requests=77, observed_at=FIXED_NOW)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"message": "The server had an error", "type": "server_error"}, ProviderUnavailable),
        ({"message": "slow", "type": "rate_limit_exceeded"}, ProviderRateLimited),
        ({"message": "bad", "code": 400}, ProviderBadRequest),
        ("model crashed", ProviderUnavailable),
    ],
)
async def test_chat_completion_stream_in_stream_error_raises(
    upstream: Upstream, make: Make, error: Any, expected: type[ProviderError]
) -> None:
    first = _passthrough_chunks()[0]
    upstream.reply(event_stream(openai_sse([first, {"error": error}])))
    chunks, raised = await collect_until_error(make().chat_completion_stream(STREAM_BODY))
    assert (chunks, type(raised)) == ([first], expected)


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '"text"'])
async def test_chat_completion_stream_non_object_payload_is_bad_response(
    upstream: Upstream, make: Make, payload: str
) -> None:
    first = _passthrough_chunks()[0]
    upstream.reply(event_stream(openai_sse([first, payload])))
    chunks, error = await collect_until_error(make().chat_completion_stream(STREAM_BODY))
    assert (chunks, type(error)) == ([first], ProviderBadResponse)


async def test_chat_completion_stream_without_done_is_bad_response(
    upstream: Upstream, make: Make
) -> None:
    chunks = _passthrough_chunks()
    upstream.reply(event_stream(openai_sse(chunks, done=False)))
    got, error = await collect_until_error(make().chat_completion_stream(STREAM_BODY))
    assert (got, type(error), error.message) == (
        chunks,
        ProviderBadResponse,
        "stream ended without [DONE]",
    )


async def test_chat_completion_stream_cut_mid_stream_is_unavailable(
    upstream: Upstream, make: Make
) -> None:
    chunks = _passthrough_chunks()
    upstream.reply(event_stream(openai_sse(chunks[:2], done=False), cut=True))
    got, error = await collect_until_error(make().chat_completion_stream(STREAM_BODY))
    assert (got, type(error)) == (chunks[:2], ProviderUnavailable)


async def test_chat_completion_stream_early_close_releases_the_connection(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(openai_sse(_passthrough_chunks()[:1], done=False), asyncio.Event()))
    async with aclosing(make().chat_completion_stream(STREAM_BODY)) as chunks:
        first = await anext(chunks)
    await upstream.wait_for_connections(0)
    assert first == _passthrough_chunks()[0]


async def test_chat_completion_stream_a_100_kb_line(upstream: Upstream, make: Make) -> None:
    arguments = json.dumps({"text": "y" * 100_000})
    delta = {"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}
    chunk = {"choices": [{"index": 0, "delta": delta}]}
    line = openai_sse([chunk])
    upstream.reply(event_stream(line[:70_000], line[70_000:]))
    assert await collect_all(make().chat_completion_stream(STREAM_BODY)) == [chunk]


async def test_chat_completion_stream_read_timeout(upstream: Upstream, make: Make) -> None:
    first = _passthrough_chunks()[0]
    upstream.reply(event_stream(openai_sse([first], done=False), asyncio.Event()))
    async with asyncio.timeout(5):
        chunks, error = await collect_until_error(
            make(timeouts=TINY).chat_completion_stream(STREAM_BODY)
        )
    assert (chunks, type(error)) == ([first], ProviderTimeout)


async def test_a_turns_images_follow_its_text_as_image_parts(
    upstream: Upstream, make: Make
) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    images = ("data:image/png;base64,iVBORw0KGgo=", "https://images.example/cat.png")
    request = ChatRequest("gpt-4o", [ChatMessage("user", "What is this?", images)], 50)
    await collect(make().stream_chat(request))
    assert upstream.last.json()["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": images[0]}},
                {"type": "image_url", "image_url": {"url": images[1]}},
            ],
        }
    ]


async def test_an_image_only_turn_has_no_empty_text_part(upstream: Upstream, make: Make) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    url = "data:image/png;base64,iVBORw0KGgo="
    await collect(make().stream_chat(ChatRequest("gpt-4o", [ChatMessage("user", "", (url,))], 50)))
    assert upstream.last.json()["messages"] == [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
    ]
