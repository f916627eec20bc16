"""The official `anthropic` SDK against a real `lockgate serve` at ``/v1/messages``: to the
simulated provider, to a local OpenAI-format fake (translated both ways) and to a local Anthropic
fake (passed through); streamed and not, tools, count_tokens, fallbacks and every error class."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from tests.fixtures.fake_anthropic import COUNTED_TOKENS, TEXT, TOOL_INPUT, FakeAnthropic
from tests.fixtures.fake_openai import REPLY, TOOL_ARGUMENTS, FakeOpenAI
from tests.fixtures.gateway_world import (
    OPEN,
    WEATHER,
    account,
    base64_block,
    client,
    close_clients,
    hi,
    image_turn,
    new_key,
    png,
    sdk,
    server,
    url_block,
)
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
__all__ = ["account", "client", "close_clients", "server"]  # fixtures


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

    history: list[Any] = [
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


def test_a_prompt_too_long_for_the_model_is_a_bad_request(client: anthropic.Anthropic) -> None:
    """Anthropic answers 400 for it (never 422), which its clients act on (e.g. compacting)."""
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="sim-small", max_tokens=5, messages=hi("word " * 40_000))
    assert info.value.error_code == "context_length_exceeded"
