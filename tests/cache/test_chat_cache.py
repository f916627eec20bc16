"""The web chat with the response cache: a repeated question is answered from the cache, streamed
through the usual typed events with ``cached``, saved as a cached reply; regenerate never looks
up; users never share; a stopped reply is never stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from lockgate.models import UsageOutcome
from tests.cache.kit import QUESTION, CacheWorld, open_world
from tests.fixtures.appkit import GatedSleep, parse_sse


@pytest.fixture
async def world(
    database_url: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CacheWorld]:
    async with AsyncExitStack() as stack:
        yield await open_world(stack, tmp_path, clock, monkeypatch, database_url=database_url)


def text_of(events: list[tuple[str, object]]) -> str:
    return "".join(d["text"] for n, d in events if n == "delta")  # type: ignore[index]


async def test_a_repeated_question_is_answered_from_the_cache_and_saved_as_cached(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com")
    _, live = await world.chat(alice.web)
    conversation, events = await world.chat(alice.web)
    assert len(world.calls.prompts) == 1
    names = [n for n, _ in events]
    assert names[0] == "message"
    assert names[-2:] == ["usage", "done"]
    assert text_of(events) == text_of(live)
    usage = events[-2][1]
    assert usage["cached"] is True
    assert usage["cost_usd"] == "0"
    final = events[-1][1]["final"]
    assert final["cached"] is True
    assert final["status"] == "complete"
    # Saved: the conversation shows it (cached) after a reload, and re-attaching replays it.
    detail = (await alice.web.get(f"/api/v1/conversations/{conversation}")).json()
    assert [m["cached"] for m in detail["messages"]["items"]] == [False, True]
    replay = parse_sse((await alice.web.get(f"/api/v1/messages/{final['id']}/stream")).text)
    assert replay[-2][1]["cached"] is True
    rows = await world.ledger()
    assert [r.outcome for r in rows] == [UsageOutcome.OK, UsageOutcome.CACHE_HIT]
    assert rows[1].saved_usd == rows[0].cost_usd > 0
    assert str(rows[1].message_id) == final["id"]
    assert world.calls.admitted == 1


async def test_another_user_never_gets_the_answer(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    await world.chat(alice.web)
    _, events = await world.chat(bob.web)
    assert events[-2][1]["cached"] is False
    assert len(world.calls.prompts) == 2


async def test_the_conversation_so_far_is_part_of_the_key(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await world.chat(alice.web)
    conversation, _ = await world.chat(alice.web, "Hello")
    _, events = await world.chat(alice.web, QUESTION, conversation)
    assert events[-2][1]["cached"] is False  # the same question after another turn
    assert len(world.calls.prompts) == 3


async def test_regenerate_never_looks_up(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    _, events = await world.chat(alice.web)
    reply = events[-1][1]["final"]["id"]
    response = await alice.web.post(f"/api/v1/messages/{reply}/regenerate", json={})
    assert response.status_code == 200, response.text
    assert parse_sse(response.text)[-2][1]["cached"] is False
    assert len(world.calls.prompts) == 2
    assert world.metric("lockgate_cache_requests_total", layer="none", result="bypass") == 1


async def test_a_stopped_reply_is_never_stored(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = GatedSleep(block_at=6)
    async with AsyncExitStack() as stack:
        world = await open_world(stack, tmp_path, clock, monkeypatch, provider_sleep=gate)
        alice = await world.tenant("alice@example.com")
        sending = asyncio.create_task(world.chat(alice.web, "a long answer [[tokens:200]]"))
        await gate.reached.wait()
        [live_id] = list(world.state.chat._live)
        stopped = await alice.web.post(f"/api/v1/messages/{live_id}/stop")
        assert stopped.json()["status"] == "cancelled"
        await sending
        gate.release()
        _, events = await world.chat(alice.web, "a long answer [[tokens:200]]")
        assert events[-2][1]["cached"] is False
        assert len(world.calls.prompts) == 2
