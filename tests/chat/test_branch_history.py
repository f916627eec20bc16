"""The model sees only the current branch: what a real (fake) OpenAI-compatible upstream was
sent after edits, regenerations and switches (both databases)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.settings import FileConfig
from tests.fixtures.appkit import ApiClient, api_client, make_config, parse_sse, running_app
from tests.fixtures.fake_openai import REPLY, FakeOpenAI

ANSWER = "".join(REPLY)


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def alice(
    upstream: FakeOpenAI, database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[ApiClient]:
    file = FileConfig.model_validate(
        {
            "providers": {
                "fake": {"type": "openai", "base_url": upstream.url, "api_key_env": "FAKE_KEY"}
            },
            "models": {
                "fake-gpt": {
                    "provider": "fake",
                    "price": {"input_per_mtok": "1", "output_per_mtok": "2"},
                }
            },
        }
    )
    config = dataclasses.replace(
        make_config(database_url, tmp_path, file=file), environ={"FAKE_KEY": "sk-fake"}
    )
    async with running_app(config, clock) as (app, _), api_client(app) as client:
        await client.register("alice@example.com")
        yield client


async def post(client: ApiClient, url: str, body: dict[str, Any]) -> tuple[str, str]:
    """Stream a reply to its end; the (user message, reply) ids it names."""
    response = await client.post(url, json=body)
    assert response.status_code == 200, response.text
    events = parse_sse(response.text)
    assert events[-1][0] == "done", events[-1]
    data = events[0][1]
    return data["user_message"]["id"], data["assistant_message"]["id"]


def sent(upstream: FakeOpenAI) -> list[tuple[str, str]]:
    """The turns of the upstream's last request."""
    return [(m["role"], m["content"]) for m in upstream.requests[-1]["messages"]]


def turns(*users: str) -> list[tuple[str, str]]:
    """User messages, each answered but the last (the one being answered)."""
    out: list[tuple[str, str]] = []
    for text in users:
        out += [("user", text), ("assistant", ANSWER)]
    return out[:-1]


async def test_the_provider_receives_only_the_current_branch(
    alice: ApiClient, upstream: FakeOpenAI
) -> None:
    cid = (await alice.post("/api/v1/conversations", json={})).json()["id"]
    messages = f"/api/v1/conversations/{cid}/messages"
    first, first_reply = await post(alice, messages, {"content": "one"})
    second, _ = await post(alice, messages, {"content": "two"})
    assert sent(upstream) == turns("one", "two")

    await post(alice, f"/api/v1/messages/{second}/edit", {"content": "two, edited"})
    assert sent(upstream) == turns("one", "two, edited")

    await post(alice, messages, {"content": "three"})
    assert sent(upstream) == turns("one", "two, edited", "three")

    await post(alice, f"/api/v1/messages/{first_reply}/regenerate", {})
    assert sent(upstream) == turns("one")

    switched = await alice.put(f"/api/v1/conversations/{cid}/branch", json={"message_id": second})
    assert switched.status_code == 200, switched.text
    await post(alice, messages, {"content": "three, on the old branch"})
    assert sent(upstream) == turns("one", "two", "three, on the old branch")

    await post(alice, f"/api/v1/messages/{first}/edit", {"content": "uno"})
    assert sent(upstream) == turns("uno")
