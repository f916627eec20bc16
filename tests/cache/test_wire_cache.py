"""``/v1/responses`` (official `openai` SDK) and ``/v1/messages`` (official `anthropic` SDK) with
the response cache: exact repeats replayed in each endpoint's own shape, streamed and not; one
answer shared across wire formats only for the same owner and the same shape; the controls;
what is never stored; money and limits on a hit; ``previous_response_id`` after a hit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from lockgate.clock import FakeClock
from lockgate.models import UsageOutcome
from tests.cache.kit import QUESTION, CacheWorld, Tenant, ask, file_config, open_world, spent

Head = dict[str, str]


@pytest.fixture(params=["embedded", "redis"])
async def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[CacheWorld]:
    settings: dict[str, Any] = {}
    if request.param == "redis":
        settings = {
            "file": file_config({"store": "redis"}),
            "cache_redis_url": request.getfixturevalue("redis_search_url"),
        }
    async with AsyncExitStack() as stack:
        yield await open_world(stack, tmp_path, clock, monkeypatch, **settings)


async def claude(world: CacheWorld, tenant: Tenant) -> anthropic.AsyncAnthropic:
    http = await world.stack.enter_async_context(
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=world.app))
    )
    return anthropic.AsyncAnthropic(
        base_url="http://testserver", api_key=tenant.sdk.api_key, http_client=http, max_retries=0
    )


def respond(content: str = QUESTION, **params: Any) -> dict[str, Any]:
    return {"model": "sim-chat", "input": content, "max_output_tokens": 30, **params}


def message(content: str = QUESTION, **params: Any) -> dict[str, Any]:
    return {
        "model": "sim-chat",
        "max_tokens": 30,
        "messages": [{"role": "user", "content": content}],
        **params,
    }


async def response(tenant: Tenant, body: dict[str, Any], headers: Head | None = None) -> Any:
    """(the response object, response headers)."""
    raw = await tenant.sdk.responses.with_raw_response.create(**body, extra_headers=headers or {})
    return raw.parse(), dict(raw.headers)


async def response_events(
    tenant: Tenant, body: dict[str, Any], headers: Head | None = None
) -> tuple[list[Any], Head]:
    async with tenant.sdk.responses.with_streaming_response.create(
        **body, stream=True, extra_headers=headers or {}
    ) as streamed:
        events = [event async for event in await streamed.parse()]
        return events, dict(streamed.headers)


async def reply(
    client: anthropic.AsyncAnthropic, body: dict[str, Any], headers: Head | None = None
) -> tuple[Any, Head]:
    raw = await client.messages.with_raw_response.create(**body, extra_headers=headers or {})
    return await raw.parse(), dict(raw.headers)


async def reply_events(
    client: anthropic.AsyncAnthropic, body: dict[str, Any], headers: Head | None = None
) -> tuple[list[Any], Head]:
    async with client.messages.with_streaming_response.create(
        **body, stream=True, extra_headers=headers or {}
    ) as streamed:
        events = [event async for event in await streamed.parse()]
        return events, dict(streamed.headers)


def streamed_text(events: list[Any]) -> str:
    return "".join(e.delta for e in events if e.type == "response.output_text.delta") or "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )


async def test_responses_exact_repeat_is_a_hit_streamed_and_not(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    body = respond(max_output_tokens=400)  # room for the whole answer: status completed
    first, head = await response(alice, body)
    assert head["x-lockgate-cache"] == "miss"
    assert first.status == "completed"
    again, head = await response(alice, body)
    assert head["x-lockgate-cache"] == "hit"
    assert "x-lockgate-cache-similarity" not in head
    assert again.output_text == first.output_text != ""
    assert again.id != first.id
    assert again.status == "completed"
    assert again.usage is not None
    assert first.usage is not None
    assert again.usage.output_tokens == first.usage.output_tokens
    # Streamed: the typed sequence a live answer has, numbered from 0, usage at the end.
    events, head = await response_events(alice, body)
    assert head["x-lockgate-cache"] == "hit"
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert streamed_text(events) == first.output_text
    completed = events[-1].response
    assert completed.output_text == first.output_text
    assert completed.usage.output_tokens == first.usage.output_tokens
    # A streamed answer is stored too.
    events, head = await response_events(alice, respond("Name a colour."))
    assert head["x-lockgate-cache"] == "miss"
    again, head = await response(alice, respond("Name a colour."))
    assert head["x-lockgate-cache"] == "hit"
    assert again.output_text == streamed_text(events) != ""
    assert len(world.calls.prompts) == 2


async def test_messages_exact_repeat_is_a_hit_streamed_and_not(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    client = await claude(world, alice)
    body = message(max_tokens=400)  # room for the whole answer: end_turn
    events, head = await reply_events(client, body)
    assert head["x-lockgate-cache"] == "miss"
    live = streamed_text(events)
    again, head = await reply(client, body)
    assert head["x-lockgate-cache"] == "hit"
    assert [b.type for b in again.content] == ["text"]
    assert again.content[0].text == live != ""
    assert again.stop_reason == "end_turn"
    assert again.model == "sim-chat"
    events, head = await reply_events(client, body)
    assert head["x-lockgate-cache"] == "hit"
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert "content_block_start" in kinds
    assert "content_block_stop" in kinds
    assert streamed_text(events) == live
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens == again.usage.output_tokens > 0
    # The SDK's own accumulator builds the same message from the replayed events.
    async with client.messages.stream(**body) as stream:
        final = await stream.get_final_message()
    assert final.content[0].type == "text"
    assert final.content[0].text == live
    assert len(world.calls.prompts) == 1


async def test_one_shape_across_wire_formats_for_the_same_key(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    client = await claude(world, alice)
    chat = await alice.sdk.chat.completions.create(**ask())
    text = chat.choices[0].message.content
    answered, head = await response(alice, respond())
    assert (head["x-lockgate-cache"], answered.output_text) == ("hit", text)
    replied, head = await reply(client, message())
    assert (head["x-lockgate-cache"], replied.content[0].text) == ("hit", text)
    # Anything that shapes the answer differently is another entry.
    for body in (respond(max_output_tokens=31), respond(instructions="Be brief.")):
        _, head = await response(alice, body)
        assert head["x-lockgate-cache"] == "miss"
    # Messages' system prompt is the Responses instructions: the same conversation.
    _, head = await reply(client, message(system="Be brief."))
    assert head["x-lockgate-cache"] == "hit"
    for body in (
        message(system="Be terse."),
        message(extra_body={"top_k": 5}),
        message(stop_sequences=["."]),
    ):
        _, head = await reply(client, body)
        assert head["x-lockgate-cache"] == "miss"
    assert len(world.calls.prompts) == 6


async def test_two_keys_never_share_on_either_endpoint(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    await response(alice, respond())
    _, head = await response(bob, respond())
    assert head["x-lockgate-cache"] == "miss"
    await reply(await claude(world, alice), message("Name a colour."))
    _, head = await reply(await claude(world, bob), message("Name a colour."))
    assert head["x-lockgate-cache"] == "miss"
    assert len(world.calls.prompts) == 4


async def test_a_hit_pays_nothing_and_writes_a_cache_hit_row(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com", daily_budget_usd="10")
    client = await claude(world, alice)
    await response(alice, respond())
    await reply(client, message("Name a colour."))
    paid = await world.ledger()
    assert [r.outcome for r in paid] == [UsageOutcome.OK, UsageOutcome.OK]
    admitted = world.calls.admitted
    await response_events(alice, respond())
    await reply_events(client, message("Name a colour."))
    assert world.calls.admitted == admitted  # nothing reserved against any budget
    hits = (await world.ledger())[2:]
    assert [r.outcome for r in hits] == [UsageOutcome.CACHE_HIT] * 2
    assert [r.saved_usd for r in hits] == [r.cost_usd for r in paid]
    assert all(r.cost_usd == 0 and str(r.api_key_id) == alice.key_id for r in hits)
    assert spent(await world.ledger()) == spent(paid)


async def test_no_cache_and_no_store_are_honoured(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    client = await claude(world, alice)
    _, head = await response(alice, respond(), {"Cache-Control": "no-store"})
    assert head["x-lockgate-cache"] == "miss"
    _, head = await response(alice, respond(), {"Cache-Control": "no-cache"})
    assert head["x-lockgate-cache"] == "bypass"  # not looked up, but stored
    _, head = await response(alice, respond())
    assert head["x-lockgate-cache"] == "hit"
    _, head = await reply_events(client, message(), {"Cache-Control": "no-cache"})
    assert head["x-lockgate-cache"] == "bypass"
    _, head = await reply(client, message("Name a colour."), {"Cache-Control": "no-store"})
    _, head = await reply(client, message("Name a colour."))
    assert head["x-lockgate-cache"] == "miss"
    assert len(world.calls.prompts) == 5
    with pytest.raises(anthropic.BadRequestError):
        await reply(client, message(), {"x-lockgate-cache-threshold": "loose"})
    with pytest.raises(openai.BadRequestError) as refused:
        await response(alice, respond(), {"x-lockgate-cache-threshold": "2"})
    assert refused.value.code == "invalid_cache_threshold"


@pytest.mark.parametrize("directive", ["[[fail:500]]", "[[fail:cut]]"])
async def test_a_failed_or_cut_answer_is_never_stored(world: CacheWorld, directive: str) -> None:
    alice = await world.tenant("alice@example.com")
    client = await claude(world, alice)
    body = f"{directive} Tell me a story"
    with pytest.raises(openai.APIError):
        await response(alice, respond(body))
    with pytest.raises(anthropic.APIError):
        await reply(client, message(body))
    if directive == "[[fail:cut]]":  # cut after the first tokens: a failed event at the end
        events, _ = await response_events(alice, respond(body))
        assert events[-1].type == "response.failed"
        with pytest.raises(anthropic.APIStatusError):  # the stream's error event
            await reply_events(client, message(body))
    # Asked again: an error (from upstream, or the breaker it opened), never a stored answer.
    with pytest.raises(openai.APIError):
        await response(alice, respond(body))
    with pytest.raises(anthropic.APIError):
        await reply(client, message(body))
    assert world.metric("lockgate_cache_requests_total", layer="exact", result="hit") == 0


async def test_a_hit_with_store_is_a_stored_response_a_chain_continues_from(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com")
    first, _ = await response(alice, respond())
    second, _ = await response(alice, respond("And Germany?", previous_response_id=first.id))
    hit, head = await response(alice, respond())
    assert head["x-lockgate-cache"] == "hit"
    stored = await alice.sdk.responses.retrieve(hit.id)
    assert stored.output_text == first.output_text
    # The resolved conversation is what is hashed: the same chain from the hit is a hit too.
    again, head = await response(alice, respond("And Germany?", previous_response_id=hit.id))
    assert (head["x-lockgate-cache"], again.output_text) == ("hit", second.output_text)
    # Another history before the same question is another conversation.
    other, _ = await response(alice, respond("What is the capital of Spain?"))
    _, head = await response(alice, respond("And Germany?", previous_response_id=other.id))
    assert head["x-lockgate-cache"] == "miss"
    # store: false stores nothing, hit or not.
    unstored, head = await response(alice, respond(store=False))
    assert head["x-lockgate-cache"] == "hit"
    with pytest.raises(openai.NotFoundError):
        await alice.sdk.responses.retrieve(unstored.id)


async def test_a_hit_still_counts_against_the_keys_request_rate(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AsyncExitStack() as stack:
        world = await open_world(stack, tmp_path, clock, monkeypatch)
        alice = await world.tenant("alice@example.com", rpm=3)
        client = await claude(world, alice)
        await response(alice, respond())
        _, head = await response(alice, respond())
        assert head["x-lockgate-cache"] == "hit"
        _, head = await reply(client, message())
        assert head["x-lockgate-cache"] == "hit"
        with pytest.raises(anthropic.RateLimitError):
            await reply(client, message())
        with pytest.raises(openai.RateLimitError):
            await response(alice, respond())


async def test_the_cache_off_is_no_header(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AsyncExitStack() as stack:
        world = await open_world(
            stack, tmp_path, clock, monkeypatch, file=file_config({"enabled": False})
        )
        alice = await world.tenant("alice@example.com")
        client = await claude(world, alice)
        for _ in range(2):
            _, head = await response(alice, respond())
            assert "x-lockgate-cache" not in head
            _, head = await reply_events(client, message())
            assert "x-lockgate-cache" not in head
        assert len(world.calls.prompts) == 4
