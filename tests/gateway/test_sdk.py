"""The official `openai` SDK (sync and async, streaming and not) against a real `lockgate serve`,
to the simulated provider and to a small local OpenAI-format fake upstream."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam

from tests.fixtures.fake_anthropic import TEXT, TOOL_INPUT, FakeAnthropic
from tests.fixtures.fake_openai import REPLY, TOOL_ARGUMENTS, FakeOpenAI
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
FAST = {"type": "simulated", "first_token_latency": 0.005, "tokens_per_second": 1000}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeOpenAI, claude: FakeAnthropic
) -> Iterator[LockgateServer]:
    config: dict[str, Any] = {
        "providers": {
            "sim": FAST,
            "fake": {
                "type": "openai",
                "base_url": upstream.url,
                "api_key_env": "FAKE_UPSTREAM_KEY",
            },
            "claude": {
                "type": "anthropic",
                "base_url": claude.url,
                "api_key_env": "FAKE_ANTHROPIC_KEY",
            },
        },
        "models": {
            "sim-small": {"provider": "sim", "price": {"input_per_mtok": 1, "output_per_mtok": 2}},
            "sim-embed": {"provider": "sim", "kind": "embedding"},
            "sim-image": {"provider": "sim", "kind": "image", "image_sizes": ["256x256"]},
            "fake-gpt": {"provider": "fake", "price": {"input_per_mtok": 1, "output_per_mtok": 2}},
            "fake-claude": {
                "provider": "claude",
                "upstream": "claude-test-1",
                "price": {"input_per_mtok": 3, "output_per_mtok": 15},
            },
        },
        "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
    }
    env = {"FAKE_UPSTREAM_KEY": "sk-upstream-secret", "FAKE_ANTHROPIC_KEY": "sk-ant-secret"}
    with LockgateServer(tmp_path_factory.mktemp("sdk"), config=config, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def account(server: LockgateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        client.post(
            "/api/v1/auth/register", json={"email": "dev@example.com", "password": PASSWORD}
        )
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        yield client


def new_key(account: httpx.Client, **settings: Any) -> dict[str, Any]:
    response = account.post("/api/v1/keys", json={"name": "test", **settings})
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


OPEN_CLIENTS: list[openai.OpenAI] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Every SDK client a test made is closed after it (no socket is left to the GC)."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


def sdk(server: LockgateServer, key: str) -> openai.OpenAI:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)
    OPEN_CLIENTS.append(client)
    return client


def test_chat_completion(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, new_key(account)["key"])
    reply = client.chat.completions.create(
        model="sim-small", messages=[{"role": "user", "content": "Hello there"}], max_tokens=20
    )
    assert reply.object == "chat.completion"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage is not None
    assert reply.usage.completion_tokens > 0


def test_streaming_chat_with_usage(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, new_key(account)["key"])
    stream = client.chat.completions.create(
        model="sim-small",
        messages=[{"role": "user", "content": "Stream it [[tokens:12]]"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert text
    assert finishes[-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 12


async def test_async_client_streaming_and_not(
    server: LockgateServer, account: httpx.Client
) -> None:
    key = new_key(account)["key"]
    async with openai.AsyncOpenAI(
        base_url=f"{server.url}/v1", api_key=key, max_retries=0
    ) as client:
        reply = await client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": "async"}], max_tokens=10
        )
        assert reply.choices[0].message.content
        stream = await client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": "async stream"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text


def test_through_an_openai_format_upstream(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    client = sdk(server, new_key(account)["key"])
    reply = client.chat.completions.create(
        model="fake-gpt",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        seed=42,
        response_format={"type": "text"},
    )
    assert reply.choices[0].message.content == "".join(REPLY)
    assert reply.usage is not None
    assert reply.usage.total_tokens == 15
    assert reply.model == "fake-gpt"
    sent = upstream.requests[-1]
    assert "stream" not in sent  # a plain answer is asked for plainly and passed through
    assert (sent["seed"], sent["response_format"]) == (42, {"type": "text"})  # passed through
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert upstream.headers[-1]["authorization"] == "Bearer sk-upstream-secret"
    stream = client.chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "".join(REPLY)
    sent = upstream.requests[-1]
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}  # always: it settles the bill


WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def test_tool_calls_pass_through(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    client = sdk(server, new_key(account)["key"])
    reply = client.chat.completions.create(
        model="fake-gpt",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="auto",
    )
    sent = upstream.requests[-1]
    assert (sent["tools"], sent["tool_choice"]) == ([WEATHER_TOOL], "auto")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [(c.function.name, c.function.arguments) for c in calls] == [  # type: ignore[union-attr]
        ("get_weather", TOOL_ARGUMENTS)
    ]

    stream = client.chat.completions.create(
        model="fake-gpt",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    arguments, names, finish = "", [], None
    for chunk in stream:
        for part in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            if part.function and part.function.name:
                names.append(part.function.name)
            arguments += (part.function.arguments or "") if part.function else ""
        finish = chunk.choices[0].finish_reason if chunk.choices else finish
    assert (names, arguments, finish) == (["get_weather"], TOOL_ARGUMENTS, "tool_calls")

    # The tool's result goes back in the history, untouched.
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [calls[0].model_dump()]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "18 °C, sunny"},
    ]
    answer = client.chat.completions.create(model="fake-gpt", messages=history)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "".join(REPLY)
    assert upstream.requests[-1]["messages"] == history


def test_anthropic_models_are_translated_both_ways(
    server: LockgateServer, account: httpx.Client, claude: FakeAnthropic
) -> None:
    client = sdk(server, new_key(account)["key"])
    reply = client.chat.completions.create(
        model="fake-claude",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        stop=["END"],
        max_tokens=50,
    )
    assert reply.choices[0].message.content == "".join(TEXT)
    assert (reply.choices[0].finish_reason, reply.model) == ("stop", "fake-claude")
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (21, 7)
    sent = claude.requests[-1]
    assert (sent["model"], sent["system"], sent["stop_sequences"]) == (
        "claude-test-1",
        "Be brief.",
        ["END"],
    )
    assert sent["max_tokens"] == 50
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]

    stream = client.chat.completions.create(
        model="fake-claude",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "".join(TEXT)
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 28

    called = client.chat.completions.create(
        model="fake-claude",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    calls = called.choices[0].message.tool_calls or []
    assert called.choices[0].finish_reason == "tool_calls"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("get_weather", TOOL_INPUT)
    ]
    sent = claude.requests[-1]
    assert sent["tools"] == [
        {
            "name": "get_weather",
            "description": "The weather in a city.",
            "input_schema": WEATHER_TOOL["function"]["parameters"],
        }
    ]
    assert sent["tool_choice"] == {"type": "any"}

    streamed = client.chat.completions.create(
        model="fake-claude",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    arguments = "".join(
        (part.function.arguments or "") if part.function else ""
        for chunk in streamed
        if chunk.choices
        for part in chunk.choices[0].delta.tool_calls or []
    )
    assert json.loads(arguments) == TOOL_INPUT


def test_tools_on_a_translated_provider_are_a_bad_request(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, new_key(account)["key"])
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="sim-small",
            messages=[{"role": "user", "content": "Weather?"}],
            tools=[WEATHER_TOOL],
        )
    assert info.value.param == "tools"


def test_usage_chunk_only_when_asked(server: LockgateServer, account: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {new_key(account)['key']}"}
    for model in ("fake-gpt", "sim-small"):
        frames: dict[bool, list[dict[str, Any]]] = {}
        for asked in (False, True):
            body: dict[str, Any] = {
                "model": model,
                "messages": [{"role": "user", "content": "hi"}],
                "stream": True,
            }
            if asked:
                body["stream_options"] = {"include_usage": True}
            reply = httpx.post(f"{server.url}/v1/chat/completions", json=body, headers=headers)
            assert reply.status_code == 200, reply.text
            lines = [x.removeprefix("data: ") for x in reply.text.splitlines() if x]
            assert lines[-1] == "[DONE]"
            frames[asked] = [json.loads(x) for x in lines[:-1]]
        assert all("usage" not in f for f in frames[False]), model
        last = frames[True][-1]
        assert (last["choices"], last["usage"]["total_tokens"] > 0) == ([], True), model
        assert {f["model"] for f in frames[True]} == {model}


def test_embeddings_images_and_models(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, new_key(account)["key"])
    vectors = client.embeddings.create(model="sim-embed", input=["a cat", "a dog"])
    assert [d.index for d in vectors.data] == [0, 1]
    assert len(vectors.data[0].embedding) > 8
    image = client.images.generate(model="sim-image", prompt="a lighthouse", size="256x256")
    assert image.data is not None
    assert base64.b64decode(image.data[0].b64_json or "").startswith(b"\x89PNG")
    ids = {m.id for m in client.models.list()}
    assert {"sim-small", "fake-gpt", "sim-embed"} <= ids


def test_invalid_key_is_authentication_error(server: LockgateServer) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        sdk(server, "lg-not-a-real-key").models.list()
    assert info.value.code == "invalid_api_key"


def test_revoked_key_is_authentication_error(server: LockgateServer, account: httpx.Client) -> None:
    key = new_key(account)
    client = sdk(server, key["key"])
    client.models.list()
    account.delete(f"/api/v1/keys/{key['id']}")
    with pytest.raises(openai.AuthenticationError) as info:
        client.models.list()
    assert info.value.code == "revoked_api_key"


def test_expired_key_is_authentication_error(server: LockgateServer, account: httpx.Client) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    key = new_key(account, expires_at=soon)
    # Move the expiry into the past in the server's database instead of waiting for it.
    database = Path(server.workdir) / "data" / "lockgate.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE api_keys SET expires_at = '2000-01-01 00:00:00.000000' WHERE id = ?",
            (key["id"].replace("-", ""),),
        )
    with pytest.raises(openai.AuthenticationError) as info:
        sdk(server, key["key"]).models.list()
    assert info.value.code == "expired_api_key"


def test_model_the_key_may_not_use_is_permission_denied(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, new_key(account, allowed_models=["sim-small"])["key"])
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": "x"}]
        )
    assert {m.id for m in client.models.list()} == {"sim-small"}


def test_exhausted_key_budget_is_rate_limit_error(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, new_key(account, daily_budget_usd="0.00001")["key"])
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": "x"}], max_tokens=100
        )
    assert info.value.code == "budget_exceeded"


def test_key_rate_limit_is_rate_limit_error(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, new_key(account, rpm=2)["key"])
    for _ in range(2):
        client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": "x"}], max_tokens=5
        )
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": "x"}], max_tokens=5
        )
    assert info.value.code == "rate_limited"


def test_bad_request_is_bad_request_error(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, new_key(account)["key"])
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="sim-small", messages=[], max_tokens=5)
    assert info.value.param == "messages"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])


def test_usage_rows_carry_the_key(server: LockgateServer, account: httpx.Client) -> None:
    key = new_key(account)
    sdk(server, key["key"]).chat.completions.create(
        model="sim-small", messages=[{"role": "user", "content": "count me"}], max_tokens=5
    )
    # /v1 rows are written in batches; a usage report writes what is pending first.
    assert account.get("/api/v1/usage").status_code == 200
    with sqlite3.connect(Path(server.workdir) / "data" / "lockgate.db") as db:
        rows = db.execute(
            "SELECT kind, outcome FROM usage_records WHERE api_key_id = ?",
            (key["id"].replace("-", ""),),
        ).fetchall()
    assert rows == [("chat", "ok")]


@pytest.mark.parametrize("tokens", [0, 5])
def test_a_stream_writes_one_usage_row(
    server: LockgateServer, account: httpx.Client, tokens: int
) -> None:
    """Also when the answer is empty (nothing relayed before the end of the call)."""
    key = new_key(account)
    stream = sdk(server, key["key"]).chat.completions.create(
        model="sim-small",
        messages=[{"role": "user", "content": f"stream me [[tokens:{tokens}]]"}],
        stream=True,
    )
    assert len("".join(c.choices[0].delta.content or "" for c in stream if c.choices)) >= tokens
    assert account.get("/api/v1/usage").status_code == 200
    with sqlite3.connect(Path(server.workdir) / "data" / "lockgate.db") as db:
        count = db.execute(
            "SELECT COUNT(*) FROM usage_records WHERE api_key_id = ?",
            (key["id"].replace("-", ""),),
        ).fetchone()[0]
    assert count == 1
