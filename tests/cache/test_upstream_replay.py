"""Replays of answers from an OpenAI-compatible upstream (a real HTTP server faking the paid
side), passed through as it sent them: a hit is the same answer through the official SDK,
streamed and not; an answer that calls tools is never stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncStream

from lockgate.clock import FakeClock
from lockgate.settings import FileConfig
from tests.cache.kit import CacheWorld, open_world
from tests.fixtures.fake_openai import REPLY, FakeOpenAI

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def world(
    upstream: FakeOpenAI, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CacheWorld]:
    file = FileConfig.model_validate(
        {
            "providers": {
                "sim": {"type": "simulated"},
                "fake": {"type": "openai", "base_url": upstream.url, "api_key_env": "FAKE_KEY"},
            },
            "models": {
                "fake-gpt": {
                    "provider": "fake",
                    "price": {"input_per_mtok": "1", "output_per_mtok": "2"},
                }
            },
            "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
            "cache": {"enabled": True, "semantic": False},
        }
    )
    async with AsyncExitStack() as stack:
        yield await open_world(
            stack, tmp_path, clock, monkeypatch, file=file, environ={"FAKE_KEY": "sk-fake"}
        )


def body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "fake-gpt",
        "messages": [{"role": "user", "content": "Say hello"}],
        "max_tokens": 50,
        **extra,
    }


async def test_a_passed_through_answer_replays_equal_streamed_and_not(
    world: CacheWorld, upstream: FakeOpenAI
) -> None:
    alice = await world.tenant("alice@example.com")
    sent = len(upstream.requests)
    first = await alice.sdk.chat.completions.create(**body())
    assert first.choices[0].message.content == "".join(REPLY)
    raw = await alice.sdk.chat.completions.with_raw_response.create(**body())
    again = raw.parse()
    assert raw.headers["x-lockgate-cache"] == "hit"
    assert again.choices[0].message.content == first.choices[0].message.content
    assert again.choices[0].finish_reason == first.choices[0].finish_reason
    assert again.usage == first.usage
    stream = await alice.sdk.chat.completions.create(
        **body(), stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "".join(REPLY)
    assert chunks[-1].usage == first.usage
    assert len(upstream.requests) == sent + 1


@pytest.mark.parametrize("streamed", [False, True])
async def test_an_answer_that_calls_tools_is_never_stored(
    world: CacheWorld, upstream: FakeOpenAI, streamed: bool
) -> None:
    alice = await world.tenant("alice@example.com")
    sent = len(upstream.requests)
    for _ in range(2):
        raw = await alice.sdk.chat.completions.with_raw_response.create(
            **body(tools=TOOLS), stream=streamed
        )
        assert raw.headers["x-lockgate-cache"] == "miss"
        parsed = raw.parse()
        if isinstance(parsed, AsyncStream):
            async for _chunk in parsed:
                pass
    assert len(upstream.requests) == sent + 2
