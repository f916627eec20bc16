"""A conversation's parameters reach the provider through the one send path, and the gate's
reservation counts them: the fake OpenAI upstream records exactly what it was sent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from lockgate.clock import FakeClock
from lockgate.models import Conversation
from lockgate.providers.config import ModelConfig, OpenAIProviderConfig, Price
from lockgate.settings import FileConfig
from tests.fixtures.appkit import ApiClient, api_client, make_config, parse_sse, running_app
from tests.fixtures.fake_openai import FakeOpenAI

PRICE = Price(input_per_mtok=Decimal(1), output_per_mtok=Decimal(2))
CONVERSATIONS = "/api/v1/conversations"


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def chat(
    upstream: FakeOpenAI, database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[ApiClient]:
    upstream.requests.clear()
    file = FileConfig(
        providers={"fake": OpenAIProviderConfig(type="openai", base_url=upstream.url)},
        models={
            "main": ModelConfig(provider="fake", price=PRICE, max_output_tokens=4000),
            "other": ModelConfig(provider="fake", upstream="other-upstream", price=PRICE),
            "small": ModelConfig(provider="fake", price=PRICE, max_output_tokens=1000),
        },
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        yield client


async def conversation(client: ApiClient, **body: Any) -> str:
    response = await client.post(CONVERSATIONS, json=body)
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


async def send(client: ApiClient, cid: str, content: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        f"{CONVERSATIONS}/{cid}/messages", json={"content": content, **extra}
    )
    assert response.status_code == 200, response.text
    events = parse_sse(response.text)
    assert events[-1][0] == "done", events
    return dict(events)


async def test_the_provider_receives_the_conversations_parameters(
    chat: ApiClient, upstream: FakeOpenAI
) -> None:
    cid = await conversation(
        chat, model="other", temperature=0.3, max_tokens=777, system_prompt="You are terse."
    )
    await send(chat, cid, "hello")
    [sent] = upstream.requests
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("other-upstream", 0.3, 777)
    assert sent["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hello"},
    ]


async def test_parameters_changed_later_apply_to_the_next_send(
    chat: ApiClient, upstream: FakeOpenAI
) -> None:
    cid = await conversation(chat)
    await send(chat, cid, "first")
    body = {"temperature": 1.7, "max_tokens": 64, "system_prompt": "Rhyme."}
    assert (await chat.patch(f"{CONVERSATIONS}/{cid}", json=body)).status_code == 200
    await send(chat, cid, "second")
    first, second = upstream.requests
    assert "temperature" not in first
    assert first["messages"][0]["role"] == "user"
    assert (second["temperature"], second["max_tokens"]) == (1.7, 64)
    assert second["messages"][0] == {"role": "system", "content": "Rhyme."}


async def test_a_value_in_the_send_body_wins_over_the_conversations(
    chat: ApiClient, upstream: FakeOpenAI
) -> None:
    cid = await conversation(chat, temperature=0.3, max_tokens=777)
    await send(chat, cid, "hello", temperature=1.0, max_tokens=50)
    [sent] = upstream.requests
    assert (sent["temperature"], sent["max_tokens"]) == (1.0, 50)


async def test_a_saved_max_tokens_is_capped_to_a_smaller_model_chosen_at_send(
    chat: ApiClient, upstream: FakeOpenAI
) -> None:
    for saved in (3000, 600):
        cid = await conversation(chat, max_tokens=saved)
        await send(chat, cid, f"hello {saved}", model="small")
    assert [sent["max_tokens"] for sent in upstream.requests] == [1000, 600]


async def test_regenerate_uses_the_conversations_current_parameters(
    chat: ApiClient, upstream: FakeOpenAI
) -> None:
    cid = await conversation(chat)
    events = await send(chat, cid, "hello")
    reply = events["done"]["final"]["id"]
    body = {"model": "other", "temperature": 0.2, "system_prompt": "Again, shorter."}
    assert (await chat.patch(f"{CONVERSATIONS}/{cid}", json=body)).status_code == 200
    response = await chat.post(f"/api/v1/messages/{reply}/regenerate")
    assert response.status_code == 200, response.text
    regenerated = upstream.requests[-1]
    assert (regenerated["model"], regenerated["temperature"]) == ("other-upstream", 0.2)
    assert regenerated["messages"][0] == {"role": "system", "content": "Again, shorter."}


async def test_the_reservation_counts_the_max_tokens_and_the_system_prompt(
    chat: ApiClient,
) -> None:
    plain = await conversation(chat, max_tokens=100)
    prompted = await conversation(chat, max_tokens=1000, system_prompt="You are terse.")
    low = Decimal((await send(chat, plain, "same words"))["message"]["max_cost_usd"])
    high = Decimal((await send(chat, prompted, "same words"))["message"]["max_cost_usd"])
    # 900 more output tokens at $2/M, and the prompt's 14 bytes + 4 of framing at $1/M.
    assert high - low == (Decimal(900 * 2) + Decimal(14 + 4)) / Decimal(1_000_000)


async def test_a_conversation_whose_model_was_removed_is_refused_before_any_call(
    upstream: FakeOpenAI, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    upstream.requests.clear()
    file = FileConfig(
        providers={"fake": OpenAIProviderConfig(type="openai", base_url=upstream.url)},
        models={"main": ModelConfig(provider="fake", price=PRICE)},
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, state),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = await conversation(client)
        async with state.sessionmaker() as db:  # saved when the config still had "retired"
            await db.execute(
                update(Conversation)
                .where(Conversation.id == uuid.UUID(cid))
                .values(model="retired")
            )
            await db.commit()
        response = await client.post(f"{CONVERSATIONS}/{cid}/messages", json={"content": "hi"})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unknown_model"
        assert "retired" in response.json()["error"]["message"]
        messages = (await client.get(f"{CONVERSATIONS}/{cid}")).json()["messages"]["items"]
    assert (messages, upstream.requests) == ([], [])
