"""The response cache on ``/v1/messages`` and ``/v1/responses`` when the answer is relayed from
a real wire (a local Anthropic fake, a local OpenAI fake serving the Responses API): a relayed
text answer is stored and replayed, streamed or not; a tool call never is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.settings import FileConfig
from tests.cache.kit import PRICE, CacheWorld, open_world
from tests.cache.test_wire_cache import (
    claude,
    reply,
    reply_events,
    response,
    response_events,
    streamed_text,
)
from tests.fixtures.fake_anthropic import TEXT, FakeAnthropic
from tests.fixtures.fake_openai import REPLY, FakeOpenAI

WEATHER = {"name": "weather", "input_schema": {"type": "object", "properties": {}}}
FUNCTION = {"type": "function", "name": "weather", "parameters": {"type": "object"}}


@pytest.fixture(scope="module")
def anthropic_fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def world(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    anthropic_fake: FakeAnthropic,
    openai_fake: FakeOpenAI,
) -> AsyncIterator[CacheWorld]:
    file = FileConfig.model_validate(
        {
            "providers": {
                "sim": {"type": "simulated"},
                "claude": {
                    "type": "anthropic",
                    "base_url": anthropic_fake.url,
                    "api_key_env": "ANT_KEY",
                },
                "openai": {"type": "openai", "base_url": openai_fake.url, "responses_api": True},
            },
            "models": {
                "fake-claude": {"provider": "claude", "upstream": "claude-1", "price": PRICE},
                "resp-gpt": {"provider": "openai", "upstream": "gpt-resp", "price": PRICE},
            },
            "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
            "cache": {"enabled": True, "semantic": False},
        }
    )
    async with AsyncExitStack() as stack:
        yield await open_world(
            stack, tmp_path, clock, monkeypatch, file=file, environ={"ANT_KEY": "sk-ant"}
        )


def ask_claude(content: str, **params: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": content}]
    return {"model": "fake-claude", "max_tokens": 50, "messages": messages, **params}


async def test_a_relayed_anthropic_answer_is_stored_and_a_tool_use_is_not(
    world: CacheWorld, anthropic_fake: FakeAnthropic
) -> None:
    alice = await world.tenant("alice@example.com")
    client = await claude(world, alice)
    before = len(anthropic_fake.requests)
    events, head = await reply_events(client, ask_claude("Hello?"))
    assert head["x-lockgate-cache"] == "miss"
    assert streamed_text(events) == "".join(TEXT)
    message, head = await reply(client, ask_claude("Hello?"))
    assert head["x-lockgate-cache"] == "hit"
    assert message.content[0].text == "".join(TEXT)
    events, head = await reply_events(client, ask_claude("Hello?"))
    assert head["x-lockgate-cache"] == "hit"
    assert streamed_text(events) == "".join(TEXT)
    assert len(anthropic_fake.requests) == before + 1
    # A tool use is never stored, streamed or not.
    for _ in range(2):
        _, head = await reply_events(client, ask_claude("Weather?", tools=[WEATHER]))
        assert head["x-lockgate-cache"] == "miss"
        answered, head = await reply(client, ask_claude("Weather?", tools=[WEATHER]))
        assert head["x-lockgate-cache"] == "miss"
        assert answered.content[0].type == "tool_use"
    assert len(anthropic_fake.requests) == before + 5


async def test_a_relayed_responses_answer_is_stored_and_a_function_call_is_not(
    world: CacheWorld, openai_fake: FakeOpenAI
) -> None:
    alice = await world.tenant("alice@example.com")
    before = len(openai_fake.requests)
    body = {"model": "resp-gpt", "input": "Hello?", "max_output_tokens": 50}
    events, head = await response_events(alice, body)
    assert head["x-lockgate-cache"] == "miss"
    assert streamed_text(events) == "".join(REPLY)
    answered, head = await response(alice, body)
    assert head["x-lockgate-cache"] == "hit"
    assert answered.output_text == "".join(REPLY)
    assert len(openai_fake.requests) == before + 1
    tools = {**body, "input": "Weather?", "tools": [FUNCTION]}
    for _ in range(2):
        answered, head = await response(alice, tools)
        assert head["x-lockgate-cache"] == "miss"
        assert answered.output[0].type == "function_call"
        _, head = await response_events(alice, tools)
        assert head["x-lockgate-cache"] == "miss"
    assert len(openai_fake.requests) == before + 5
