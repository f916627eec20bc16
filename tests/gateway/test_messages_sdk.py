"""The official `anthropic` SDK against a real `lockgate serve` at ``/v1/messages``: to the
simulated provider, to a local OpenAI-format fake (translated both ways) and to a local Anthropic
fake (passed through); streamed and not, tools, images, count_tokens, and every error class.
Then images on ``/v1/chat/completions`` with the `openai` SDK, against the same server."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from anthropic.types import MessageParam, ToolParam
from PIL import Image

from tests.fixtures.fake_anthropic import COUNTED_TOKENS, TEXT, TOOL_INPUT, FakeAnthropic
from tests.fixtures.fake_http import FakeHandler, FakeServer
from tests.fixtures.fake_openai import REPLY, TOOL_ARGUMENTS, FakeOpenAI
from tests.fixtures.ports import LOOPBACK, free_port
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
FAST = {
    "type": "simulated",
    "first_token_latency": 0.005,
    "tokens_per_second": 1000,
    "directives": True,
}
MAX_IMAGES = 3
MAX_IMAGE_BYTES = 4096
VISION_BODY = 2 * 1024 * 1024  # the body limit of the endpoints taking images (others: 1 MiB)
PRICE = {"input_per_mtok": 1, "output_per_mtok": 2}


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeOpenAI, claude: FakeAnthropic
) -> Iterator[LockgateServer]:
    config: dict[str, Any] = {
        "providers": {
            "sim": FAST,
            "broken": {**FAST, "failure": "500"},
            "fake": {"type": "openai", "base_url": upstream.url, "api_key_env": "FAKE_KEY"},
            "claude": {
                "type": "anthropic",
                "base_url": claude.url,
                "api_key_env": "FAKE_ANTHROPIC_KEY",
            },
            "claude-down": {  # nothing listens there: every call fails to connect
                "type": "anthropic",
                "base_url": f"http://{LOOPBACK}:{free_port()}",
                "api_key_env": "FAKE_ANTHROPIC_KEY",
            },
        },
        "models": {
            "sim-small": {"provider": "sim", "price": PRICE, "vision": True},
            "sim-blind": {"provider": "sim", "price": PRICE},
            "broken-model": {"provider": "broken"},
            "fake-gpt": {
                "provider": "fake",
                "upstream": "gpt-4o",
                "price": PRICE,
                "vision": True,
            },
            "down-claude": {
                "provider": "claude-down",
                "price": PRICE,
                "fallbacks": ["fake-gpt"],
            },
            "fake-claude": {
                "provider": "claude",
                "upstream": "claude-test-1",
                "price": {"input_per_mtok": 3, "output_per_mtok": 15},
                "max_output_tokens": 100,
                "vision": True,
            },
        },
        "gate": {
            "rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"},
            "breaker": {"consecutive_failures": 2},
            "retry": {"attempts": 1},
        },
    }
    env = {
        "FAKE_KEY": "sk-upstream-secret",
        "FAKE_ANTHROPIC_KEY": "sk-ant-secret",
        "LOCKGATE_MAX_IMAGES_PER_REQUEST": str(MAX_IMAGES),
        "LOCKGATE_MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES),
        "LOCKGATE_MAX_VISION_BODY_BYTES": str(VISION_BODY),
    }
    with LockgateServer(tmp_path_factory.mktemp("messages"), config=config, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def account(server: LockgateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        client.post(
            "/api/v1/auth/register", json={"email": "dev@example.com", "password": PASSWORD}
        )
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        yield client


def new_key(account: httpx.Client, **settings: Any) -> str:
    response = account.post("/api/v1/keys", json={"name": "test", **settings})
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


OPEN: list[anthropic.Anthropic] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def sdk(server: LockgateServer, key: str) -> anthropic.Anthropic:
    client = anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0)
    OPEN.append(client)
    return client


@pytest.fixture
def client(server: LockgateServer, account: httpx.Client) -> anthropic.Anthropic:
    return sdk(server, new_key(account))


def png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def hi(text: str = "hi") -> list[MessageParam]:
    return [{"role": "user", "content": text}]


WEATHER: ToolParam = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


# -- answers -------------------------------------------------------------------------------------


def test_message_from_the_simulated_provider(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="sim-small", max_tokens=50, messages=hi("Hello there [[tokens:6]]")
    )
    assert (message.type, message.role, message.model) == ("message", "assistant", "sim-small")
    assert message.content[0].type == "text"
    assert message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 6


def test_stream_from_the_simulated_provider(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model="sim-small",
        max_tokens=50,
        system="Be brief.",
        messages=hi("Stream it [[tokens:12]]"),
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text
    assert final.content[0].type == "text"
    assert final.content[0].text == text
    assert (final.stop_reason, final.usage.output_tokens) == ("end_turn", 12)
    assert final.usage.input_tokens > 0


def test_max_tokens_stops_the_answer(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model="sim-small", max_tokens=3, messages=hi("[[tokens:50]]"))
    assert (message.stop_reason, message.usage.output_tokens) == ("max_tokens", 3)


def test_anthropic_upstream_is_passed_through(
    client: anthropic.Anthropic, claude: FakeAnthropic
) -> None:
    message = client.messages.create(
        model="fake-claude",
        max_tokens=5000,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=hi(),
        stop_sequences=["END"],
        metadata={"user_id": "u-1"},
        extra_body={"top_k": 5},  # the SDK no longer names sampling parameters
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "".join(TEXT)
    assert (message.model, message.id) == ("fake-claude", "msg_fake")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (21, 7)
    sent = claude.requests[-1]
    assert (sent["model"], sent["max_tokens"]) == ("claude-test-1", 100)  # capped
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}  # untouched
    assert (sent["top_k"], sent["stop_sequences"]) == (5, ["END"])
    assert sent["metadata"] == {"user_id": "u-1"}
    assert "stream" not in sent
    assert claude.headers[-1]["x-api-key"] == "sk-ant-secret"  # ours, not the client's

    with client.messages.stream(model="fake-claude", max_tokens=50, messages=hi()) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert events[0] == "message_start"
    assert events[-1] == "message_stop"
    assert final.content[0].type == "text"
    assert (final.content[0].text, final.model) == ("".join(TEXT), "fake-claude")
    assert (final.usage.input_tokens, final.usage.output_tokens) == (21, 7)
    assert claude.requests[-1]["stream"] is True


def test_openai_upstream_is_translated_both_ways(
    client: anthropic.Anthropic, upstream: FakeOpenAI
) -> None:
    message = client.messages.create(
        model="fake-gpt",
        max_tokens=64,
        system="Be brief.",
        messages=hi(),
        extra_body={"temperature": 0.5},
        stop_sequences=["END"],
        metadata={"user_id": "u-1"},
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "".join(REPLY)
    assert (message.stop_reason, message.model) == ("end_turn", "fake-gpt")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (9, 6)
    sent = upstream.requests[-1]
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert (sent["model"], sent["max_tokens"], sent["temperature"]) == ("gpt-4o", 64, 0.5)
    assert (sent["stop"], sent["user"]) == (["END"], "u-1")
    assert "stream" not in sent

    with client.messages.stream(model="fake-gpt", max_tokens=64, messages=hi()) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "".join(REPLY)
    assert (final.usage.input_tokens, final.usage.output_tokens) == (9, 6)
    assert upstream.requests[-1]["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("model", ["fake-claude", "fake-gpt"])
def test_tool_use_round_trip(client: anthropic.Anthropic, model: str) -> None:
    called = client.messages.create(
        model=model,
        max_tokens=64,
        messages=hi("Weather in Paris?"),
        tools=[WEATHER],
        tool_choice={"type": "any"},
    )
    assert called.stop_reason == "tool_use"
    use = next(block for block in called.content if block.type == "tool_use")
    assert (use.name, use.input) == ("get_weather", TOOL_INPUT)

    with client.messages.stream(
        model=model, max_tokens=64, messages=hi("Weather in Paris?"), tools=[WEATHER]
    ) as stream:
        kinds = [event.type for event in stream]
        streamed = stream.get_final_message()
    assert "content_block_start" in kinds
    streamed_use = next(block for block in streamed.content if block.type == "tool_use")
    assert streamed_use.input == TOOL_INPUT
    assert streamed.stop_reason == "tool_use"

    history: list[MessageParam] = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": called.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18 °C"}],
        },
    ]
    answer = client.messages.create(model=model, max_tokens=64, messages=history, tools=[WEATHER])
    assert answer.content


def test_tool_results_reach_an_openai_upstream_as_tool_messages(
    client: anthropic.Anthropic, upstream: FakeOpenAI
) -> None:
    history: list[Any] = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": TOOL_INPUT},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_9", "content": "18 °C"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]
    client.messages.create(
        model="fake-gpt",
        max_tokens=64,
        messages=history,
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
    )
    sent = upstream.requests[-1]
    assert sent["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_9",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": json.dumps(TOOL_INPUT)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_9", "content": "18 °C"},
        {"role": "user", "content": "Thanks"},
    ]
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": WEATHER["description"],
                "parameters": WEATHER["input_schema"],
            },
        }
    ]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["parallel_tool_calls"] is False
    assert json.loads(TOOL_ARGUMENTS) == TOOL_INPUT


def test_tools_on_a_text_only_provider_are_a_bad_request(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="sim-small", max_tokens=5, messages=hi(), tools=[WEATHER])
    assert info.value.error_code == "invalid_request_error"
    assert "tools" in info.value.message


def test_a_stream_failing_mid_way_ends_with_an_error_event(
    server: LockgateServer, account: httpx.Client
) -> None:
    headers = {"x-api-key": new_key(account), "anthropic-version": "2023-06-01"}
    body = {
        "model": "sim-small",
        "max_tokens": 50,
        "stream": True,
        "messages": hi("cut me [[fail:cut]]"),
    }
    reply = httpx.post(f"{server.url}/v1/messages", json=body, headers=headers)
    assert reply.status_code == 200
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("data: ", 1)[1]))
        for block in reply.text.strip().split("\n\n")
    ]
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert "content_block_delta" in names
    assert names[-1] == "error"
    assert events[-1][1]["error"]["type"] == "api_error"
    assert "message_stop" not in names


# -- images --------------------------------------------------------------------------------------


def image_turn(*blocks: dict[str, Any]) -> list[Any]:
    return [{"role": "user", "content": [*blocks, {"type": "text", "text": "What is this?"}]}]


def base64_block(data: str, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def url_block(url: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "url", "url": url}}


def test_images_pass_through_to_an_anthropic_upstream(
    client: anthropic.Anthropic, claude: FakeAnthropic
) -> None:
    data = png(64, 48)
    blocks = (base64_block(data), url_block("https://images.example/cat.png"))
    client.messages.create(model="fake-claude", max_tokens=20, messages=image_turn(*blocks))
    assert claude.requests[-1]["messages"][0]["content"][:2] == list(blocks)


def test_images_are_translated_for_an_openai_upstream(
    client: anthropic.Anthropic, upstream: FakeOpenAI
) -> None:
    data = png(64, 48)
    blocks = (base64_block(data), url_block("https://images.example/cat.png"))
    client.messages.create(model="fake-gpt", max_tokens=20, messages=image_turn(*blocks))
    assert upstream.requests[-1]["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
        {"type": "image_url", "image_url": {"url": "https://images.example/cat.png"}},
        {"type": "text", "text": "What is this?"},
    ]


def test_images_reach_the_simulated_provider(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="sim-small", max_tokens=30, messages=image_turn(base64_block(png(32, 32)))
    )
    assert message.content


class Recorder(FakeServer):
    """A local server that only records what reaches it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(FakeHandler):
            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                self._send(200, base64.b64decode(png(8, 8)), "image/png")

        super().__init__(Handler)


@pytest.mark.parametrize("model", ["fake-gpt", "fake-claude", "sim-small"])
def test_an_image_url_is_never_fetched(client: anthropic.Anthropic, model: str) -> None:
    with Recorder() as recorder:
        url = f"http://{LOOPBACK}:{recorder.port}/internal/secret.png"
        client.messages.create(model=model, max_tokens=10, messages=image_turn(url_block(url)))
        assert recorder.paths == []


def test_a_model_without_vision_refuses_images(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(
            model="sim-blind", max_tokens=10, messages=image_turn(base64_block(png(8, 8)))
        )
    assert info.value.error_code == "images_not_supported"


def test_image_limits(client: anthropic.Anthropic) -> None:
    small = base64_block(png(8, 8))
    with pytest.raises(anthropic.BadRequestError) as many:
        client.messages.create(
            model="sim-small", max_tokens=10, messages=image_turn(*[small] * (MAX_IMAGES + 1))
        )
    assert many.value.error_code == "too_many_images"
    noise = base64.b64encode(bytes(range(256)) * 40).decode()  # 10 kB: over the cap
    with pytest.raises(anthropic.ContentTooLargeError) as large:
        client.messages.create(
            model="sim-small", max_tokens=10, messages=image_turn(base64_block(noise))
        )
    assert large.value.error_code == "image_too_large"
    text = base64.b64encode(b"just some text, not an image").decode()
    with pytest.raises(anthropic.BadRequestError) as fake:
        client.messages.create(
            model="sim-small", max_tokens=10, messages=image_turn(base64_block(text))
        )
    assert fake.value.error_code == "invalid_image"
    with pytest.raises(anthropic.BadRequestError) as mislabelled:
        client.messages.create(
            model="sim-small",
            max_tokens=10,
            messages=image_turn(base64_block(png(8, 8), "image/jpeg")),
        )
    assert mislabelled.value.error_code == "invalid_image"


# -- count_tokens --------------------------------------------------------------------------------


def test_count_tokens_asks_an_anthropic_upstream(
    client: anthropic.Anthropic, claude: FakeAnthropic
) -> None:
    raw = client.messages.with_raw_response.count_tokens(
        model="fake-claude", messages=hi(), system="Be brief.", tools=[WEATHER]
    )
    assert raw.parse().input_tokens == COUNTED_TOKENS
    assert raw.headers["lockgate-token-count"] == "upstream"
    sent = claude.requests[-1]
    assert (sent["model"], sent["system"]) == ("claude-test-1", "Be brief.")
    assert sent["tools"] == [WEATHER]


def test_count_tokens_estimates_for_other_providers(client: anthropic.Anthropic) -> None:
    short = client.messages.with_raw_response.count_tokens(model="sim-small", messages=hi("hi"))
    long = client.messages.count_tokens(model="sim-small", messages=hi("hi " * 400))
    pictured = client.messages.count_tokens(
        model="fake-gpt", messages=image_turn(base64_block(png(512, 512)))
    )
    unseen = client.messages.count_tokens(
        model="fake-gpt", messages=image_turn(url_block("https://images.example/x.png"))
    )
    assert short.headers["lockgate-token-count"] == "estimate"
    assert 0 < short.parse().input_tokens < long.input_tokens
    # gpt-4o: a 512x512 image is one tile (85 + 170); one of unknown size, the most (1,445).
    assert 255 < pictured.input_tokens < 300
    assert 1445 < unseen.input_tokens < 1500


# -- errors --------------------------------------------------------------------------------------


def test_authentication_errors(server: LockgateServer) -> None:
    with pytest.raises(anthropic.AuthenticationError) as info:
        sdk(server, "lg-not-a-real-key").messages.create(
            model="sim-small", max_tokens=5, messages=hi()
        )
    assert info.value.error_code == "invalid_api_key"
    assert info.value.type == "authentication_error"


def test_bearer_auth_works_too(server: LockgateServer, account: httpx.Client) -> None:
    client = anthropic.Anthropic(base_url=server.url, auth_token=new_key(account), max_retries=0)
    OPEN.append(client)
    assert client.messages.create(model="sim-small", max_tokens=5, messages=hi()).content


def test_model_the_key_may_not_use_is_permission_denied(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, new_key(account, allowed_models=["sim-small"]))
    with pytest.raises(anthropic.PermissionDeniedError) as info:
        client.messages.create(model="fake-claude", max_tokens=5, messages=hi())
    assert info.value.error_code == "model_not_allowed"


def test_unknown_model_is_not_found(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(model="nope", max_tokens=5, messages=hi())
    assert info.value.error_code == "model_not_found"


def test_bad_requests(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(
            model="sim-small", max_tokens=5, messages=hi(), extra_body={"temperature": 1.5}
        )
    assert "temperature" in info.value.message
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="sim-small", max_tokens=5, messages=[])
    with pytest.raises(anthropic.BadRequestError) as server_tool:
        client.messages.create(
            model="fake-claude",
            max_tokens=5,
            messages=hi(),
            tools=[{"type": "web_search_20250305", "name": "web_search"}],
        )
    assert "server tools" in server_tool.value.message


def test_exhausted_key_budget_is_rate_limit_error(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, new_key(account, daily_budget_usd="0.00001"))
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(model="sim-small", max_tokens=100, messages=hi())
    assert info.value.error_code == "budget_exceeded"
    assert int(info.value.response.headers["retry-after"]) >= 1


def test_key_rate_limit_is_rate_limit_error(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, new_key(account, rpm=2))
    for _ in range(2):
        client.messages.create(model="sim-small", max_tokens=5, messages=hi())
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(model="sim-small", max_tokens=5, messages=hi())
    assert info.value.error_code == "rate_limited"


def test_failing_provider_then_open_breaker(client: anthropic.Anthropic) -> None:
    """A provider failing is a 5xx; once its breaker opens, Anthropic's 529 overloaded."""
    with pytest.raises(anthropic.InternalServerError) as failed:
        client.messages.create(model="broken-model", max_tokens=5, messages=hi())
    assert failed.value.status_code == 502
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(model="broken-model", max_tokens=5, messages=hi())
    with pytest.raises(anthropic.OverloadedError) as shed:
        client.messages.create(model="broken-model", max_tokens=5, messages=hi())
    assert shed.value.error_code == "provider_unavailable"
    assert int(shed.value.response.headers["retry-after"]) >= 1


def test_usage_rows_carry_the_key(server: LockgateServer, account: httpx.Client) -> None:
    key = new_key(account)
    client = sdk(server, key)
    client.messages.create(model="fake-claude", max_tokens=5, messages=hi())
    with client.messages.stream(model="fake-gpt", max_tokens=5, messages=hi()) as stream:
        stream.until_done()
    assert account.get("/api/v1/usage").status_code == 200  # flushes pending /v1 rows
    key_id = next(k["id"] for k in account.get("/api/v1/keys").json() if k["prefix"] in key)
    with sqlite3.connect(Path(server.workdir) / "data" / "lockgate.db") as db:
        rows = db.execute(
            "SELECT model, outcome, input_tokens, output_tokens FROM usage_records "
            "WHERE api_key_id = ? ORDER BY created_at",
            (key_id.replace("-", ""),),
        ).fetchall()
    assert sorted(rows) == [("fake-claude", "ok", 21, 7), ("fake-gpt", "ok", 9, 6)]


# -- images on /v1/chat/completions (the openai SDK) ---------------------------------------------


@pytest.fixture
def openai_client(server: LockgateServer, account: httpx.Client) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=new_key(account), max_retries=0
    ) as client:
        yield client


def chat_image_turn(*urls: str, detail: str = "auto") -> list[Any]:
    parts = [{"type": "image_url", "image_url": {"url": url, "detail": detail}} for url in urls]
    return [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, *parts]}]


def test_chat_image_parts_pass_through_to_an_openai_upstream(
    openai_client: openai.OpenAI, upstream: FakeOpenAI
) -> None:
    messages = chat_image_turn(
        f"data:image/png;base64,{png(40, 30)}", "https://images.example/cat.png"
    )
    reply = openai_client.chat.completions.create(model="fake-gpt", messages=messages)
    assert reply.choices[0].message.content == "".join(REPLY)
    assert upstream.requests[-1]["messages"] == messages  # untouched


def test_chat_image_parts_become_anthropic_image_blocks(
    openai_client: openai.OpenAI, claude: FakeAnthropic
) -> None:
    data = png(40, 30)
    openai_client.chat.completions.create(
        model="fake-claude",
        messages=chat_image_turn(f"data:image/png;base64,{data}", "https://images.example/c.png"),
    )
    assert claude.requests[-1]["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        base64_block(data),
        url_block("https://images.example/c.png"),
    ]


def test_chat_images_on_the_simulated_provider_and_refusals(openai_client: openai.OpenAI) -> None:
    ok = openai_client.chat.completions.create(
        model="sim-small", messages=chat_image_turn(f"data:image/png;base64,{png(16, 16)}")
    )
    assert ok.choices[0].message.content
    with pytest.raises(openai.BadRequestError) as blind:
        openai_client.chat.completions.create(
            model="sim-blind", messages=chat_image_turn("https://images.example/x.png")
        )
    assert blind.value.code == "images_not_supported"
    with pytest.raises(openai.BadRequestError) as many:
        openai_client.chat.completions.create(
            model="sim-small",
            messages=chat_image_turn(*["https://images.example/x.png"] * (MAX_IMAGES + 1)),
        )
    assert many.value.code == "too_many_images"
    noise = base64.b64encode(bytes(range(256)) * 40).decode()
    with pytest.raises(openai.APIStatusError) as large:
        openai_client.chat.completions.create(
            model="sim-small", messages=chat_image_turn(f"data:image/png;base64,{noise}")
        )
    assert (large.value.status_code, large.value.code) == (413, "image_too_large")
    text = base64.b64encode(b"plain text").decode()
    with pytest.raises(openai.BadRequestError) as fake:
        openai_client.chat.completions.create(
            model="sim-small", messages=chat_image_turn(f"data:image/png;base64,{text}")
        )
    assert fake.value.code == "invalid_image"
    assert fake.value.param == "messages[0].content[1].image_url.url"


def test_chat_image_url_is_never_fetched(openai_client: openai.OpenAI) -> None:
    with Recorder() as recorder:
        url = f"http://{LOOPBACK}:{recorder.port}/metadata/secret.png"
        for model in ("fake-gpt", "fake-claude", "sim-small"):
            openai_client.chat.completions.create(model=model, messages=chat_image_turn(url))
        assert recorder.paths == []


def test_the_budget_reserves_each_images_bound(
    server: LockgateServer, account: httpx.Client
) -> None:
    """sim-small is unknown to the image table: 16,384 tokens per image at $1/M is $0.016, over
    this key's $0.01 a day, though the same request without the image costs far less."""
    client = sdk(server, new_key(account, daily_budget_usd="0.01"))
    assert client.messages.create(model="sim-small", max_tokens=5, messages=hi()).content
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(
            model="sim-small",
            max_tokens=5,
            messages=image_turn(url_block("https://images.example/x.png")),
        )
    assert info.value.error_code == "budget_exceeded"


def test_models_say_which_take_images(openai_client: openai.OpenAI) -> None:
    vision = {
        model.id: (model.model_extra or {})["lockgate"]["vision"]
        for model in openai_client.models.list()
    }
    assert (vision["sim-small"], vision["fake-claude"], vision["sim-blind"]) == (True, True, False)


def test_a_failing_anthropic_upstream_falls_back_with_one_message(
    client: anthropic.Anthropic, upstream: FakeOpenAI
) -> None:
    """The Anthropic candidate fails before answering; the OpenAI-compatible fallback answers,
    and the client sees one well-formed message (one message_start, Anthropic's order)."""
    before = len(upstream.requests)
    with client.messages.stream(model="down-claude", max_tokens=20, messages=hi()) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds.count("message_start") == 1
    assert (kinds[0], kinds[-1]) == ("message_start", "message_stop")
    assert final.content[0].type == "text"
    assert final.content[0].text == "".join(REPLY)
    assert len(upstream.requests) == before + 1
    plain = client.messages.create(model="down-claude", max_tokens=20, messages=hi())
    assert plain.content[0].type == "text"
    assert (plain.content[0].text, plain.model) == ("".join(REPLY), "down-claude")


def test_endpoints_taking_images_have_their_own_body_limit(
    server: LockgateServer, account: httpx.Client
) -> None:
    """1.5 MB passes on /v1/messages (not on /api); over its own limit it is Anthropic's 413."""
    headers = {"x-api-key": new_key(account)}
    big = {"model": "sim-small", "messages": hi("word " * 300_000)}
    counted = httpx.post(f"{server.url}/v1/messages/count_tokens", json=big, headers=headers)
    assert counted.status_code == 200, counted.text
    web = account.post("/api/v1/conversations", json={"title": "x" * 1_500_000})
    assert web.status_code == 413
    huge = {"model": "sim-small", "messages": hi("word " * 500_000)}
    refused = httpx.post(f"{server.url}/v1/messages/count_tokens", json=huge, headers=headers)
    assert refused.status_code == 413
    assert refused.json()["error"]["type"] == "request_too_large"
    assert refused.json()["error"]["details"]["error_code"] == "payload_too_large"
