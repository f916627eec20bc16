"""Chat through the app in-process (both databases), with the simulated provider."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.models import Message, UsageRecord
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import (
    ApiClient,
    GatedSleep,
    api_client,
    make_config,
    parse_sse,
    running_app,
)

PRICED = Price(input_per_mtok=Decimal("1.5"), output_per_mtok=Decimal("6"))


async def new_conversation(client: ApiClient, **body: Any) -> str:
    response = await client.post("/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["id"]
    return conversation_id


async def send(client: ApiClient, cid: str, content: str, **extra: Any) -> list[tuple[str, Any]]:
    response = await client.post(
        f"/api/v1/conversations/{cid}/messages", json={"content": content, **extra}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


async def usage_rows(state: AppState) -> list[UsageRecord]:
    async with state.sessionmaker() as db:
        return list((await db.scalars(select(UsageRecord))).all())


async def test_reply_streams_as_events_and_is_saved(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    events = await send(user_client, cid, "Tell me about lighthouses")
    names = [name for name, _ in events]
    assert names[0] == "message"
    assert names[-2:] == ["usage", "done"]
    deltas = "".join(data["text"] for name, data in events if name == "delta")
    assert names.count("delta") > 3
    final = events[-1][1]["final"]
    assert final["status"] == "complete"
    assert final["content"] == deltas
    assert final["output_tokens"] == names.count("delta")
    assert (final["provider"], final["model"]) == ("simulated", "sim-small")
    stored = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["messages"]["items"]
    assert [(m["role"], m["status"]) for m in stored] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert stored[1]["content"] == deltas
    assert stored[1]["parent_id"] == stored[0]["id"]


async def test_first_message_titles_the_conversation(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    await send(user_client, cid, "How do   lighthouses\nwork at night and in the fog, really?")
    title = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["title"]
    assert title == "How do lighthouses work at night and in the fog, really?"


async def test_long_first_message_title_is_cut_at_a_word(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    await send(user_client, cid, "word " * 40)
    title = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["title"]
    assert title.endswith("…")
    assert len(title) <= 61
    assert "wor…" not in title


async def test_existing_title_is_kept(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client, title="Mine")
    await send(user_client, cid, "hello there")
    assert (await user_client.get(f"/api/v1/conversations/{cid}")).json()["title"] == "Mine"


async def test_usage_row_is_written_with_exact_cost(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={"priced": ModelConfig(provider="sim", price=PRICED)},
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, state),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = await new_conversation(client)
        events = await send(client, cid, "price check")
        [row] = await usage_rows(state)
    usage = dict(events)["usage"]
    expected = (
        Decimal(usage["input_tokens"]) * PRICED.input_per_mtok
        + Decimal(usage["output_tokens"]) * PRICED.output_per_mtok
    ) / Decimal(1_000_000)
    assert Decimal(usage["cost_usd"]) == expected.quantize(Decimal("0.00000001"))
    assert (row.provider, row.model, row.outcome.value) == ("sim", "priced", "ok")
    assert row.cost_usd == Decimal(usage["cost_usd"])
    assert row.output_tokens == usage["output_tokens"]


async def test_history_includes_earlier_turns_and_system_prompt(
    user_client: ApiClient, state: AppState
) -> None:
    cid = await new_conversation(user_client, system_prompt="You are terse.")
    await send(user_client, cid, "first question")
    events = await send(user_client, cid, "second question")
    generation_input = dict(events)["usage"]["input_tokens"]
    single = await send(user_client, await new_conversation(user_client), "second question")
    assert generation_input > dict(single)["usage"]["input_tokens"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"content": ""}, "empty_message"),
        ({"content": "   \n "}, "empty_message"),
        ({}, "validation_error"),
        ({"content": "x" * 100_001}, "validation_error"),
        ({"content": "hi", "model": "gpt-nonexistent"}, "unknown_model"),
        ({"content": "hi", "model": "sim-image"}, "unknown_model"),
        ({"content": "hi", "max_tokens": 999_999}, "max_tokens_too_large"),
        ({"content": "hi", "max_tokens": 0}, "validation_error"),
        ({"content": "hi", "temperature": 2.5}, "validation_error"),
        ({"content": "hi", "temperature": -1}, "validation_error"),
    ],
)
async def test_bad_chat_input_is_422_and_saves_nothing(
    user_client: ApiClient, body: dict[str, Any], code: str
) -> None:
    cid = await new_conversation(user_client)
    response = await user_client.post(f"/api/v1/conversations/{cid}/messages", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    messages = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["messages"]
    assert messages["items"] == []


async def test_message_too_long_for_the_context_window_is_422(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={"tiny": ModelConfig(provider="sim", context_window=300, max_output_tokens=100)},
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = await new_conversation(client)
        response = await client.post(
            f"/api/v1/conversations/{cid}/messages", json={"content": "word " * 400}
        )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "context_length_exceeded"


async def test_old_turns_are_dropped_to_fit_the_context_window(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={"tiny": ModelConfig(provider="sim", context_window=400, max_output_tokens=50)},
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = await new_conversation(client, system_prompt="Keep me.")
        inputs = []
        for i in range(8):
            events = await send(client, cid, f"question {i} " + "padding " * 30, max_tokens=50)
            inputs.append(dict(events)["usage"]["input_tokens"])
    assert all(e == "done" for e in [events[-1][0]])
    assert max(inputs) * 4 <= 400 * 4  # never more than the window (estimate: 4 chars/token)
    assert inputs[-1] <= inputs[3] * 1.5  # stopped growing: old turns were dropped


async def test_someone_elses_conversation_is_404(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid = await new_conversation(user_client)
    await other_client.register("mallory@example.com")
    response = await other_client.post(
        f"/api/v1/conversations/{cid}/messages", json={"content": "hi"}
    )
    assert response.status_code == 404


async def test_someone_elses_message_is_404_for_stream_stop_and_regenerate(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid = await new_conversation(user_client)
    events = await send(user_client, cid, "secret")
    mid = events[-1][1]["final"]["id"]
    await other_client.register("mallory@example.com")
    assert (await other_client.get(f"/api/v1/messages/{mid}/stream")).status_code == 404
    assert (await other_client.post(f"/api/v1/messages/{mid}/stop")).status_code == 404
    assert (await other_client.post(f"/api/v1/messages/{mid}/regenerate")).status_code == 404
    assert (await other_client.get(f"/api/v1/messages/{uuid.uuid4()}/stream")).status_code == 404


@pytest.mark.parametrize(
    ("directive", "status", "code", "has_text", "calls"),
    [
        ("[[fail:500]]", "error", "provider_unavailable", False, 2),  # retried once
        ("[[fail:429]]", "error", "provider_rate_limited", False, 1),  # headroom: not retried
        ("[[fail:timeout]]", "error", "provider_timeout", False, 2),
        ("[[fail:cut]]", "incomplete", "provider_unavailable", True, 1),  # text shown: kept
        ("[[fail:malformed]]", "incomplete", "provider_bad_response", True, 1),
    ],
)
async def test_provider_failure_sends_error_event_and_keeps_partial_text(
    user_client: ApiClient,
    state: AppState,
    directive: str,
    status: str,
    code: str,
    has_text: bool,
    calls: int,
) -> None:
    cid = await new_conversation(user_client)
    events = await send(user_client, cid, f"hello {directive}")
    name, data = events[-1]
    assert name == "error"
    assert (data["code"], data["status"]) == (code, status)
    streamed = "".join(d["text"] for n, d in events if n == "delta")
    assert bool(streamed) is has_text
    stored = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["messages"]["items"]
    assert stored[-1]["status"] == status
    assert stored[-1]["content"] == streamed
    assert stored[-1]["error_code"] == code
    rows = await usage_rows(state)
    assert len(rows) == calls  # one usage row per provider call
    assert {r.outcome.value for r in rows} == {"error" if status == "error" else "incomplete"}
    assert {r.error_code for r in rows} == {code}


async def test_regenerate_makes_a_sibling_and_keeps_the_original(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    first = (await send(user_client, cid, "tell me a story"))[-1][1]["final"]
    response = await user_client.post(
        f"/api/v1/messages/{first['id']}/regenerate", json={"model": "sim-large"}
    )
    events = parse_sse(response.text)
    second = events[-1][1]["final"]
    assert second["parent_id"] == first["parent_id"]
    assert second["id"] != first["id"]
    assert second["model"] == "sim-large"
    items = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["messages"]["items"]
    # The conversation shows its current branch (the new answer); the original is its sibling.
    [shown] = [m for m in items if m["role"] == "assistant"]
    assert shown["id"] == second["id"]
    assert shown["sibling_ids"] == [first["id"], second["id"]]


async def test_regenerating_a_user_message_is_422(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    events = await send(user_client, cid, "hi")
    user_message_id = events[0][1]["user_message"]["id"]
    response = await user_client.post(f"/api/v1/messages/{user_message_id}/regenerate")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_regenerable"


async def test_reattach_to_a_finished_reply_replays_it(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    events = await send(user_client, cid, "hello")
    final = events[-1][1]["final"]
    replay = parse_sse((await user_client.get(f"/api/v1/messages/{final['id']}/stream")).text)
    assert [n for n, _ in replay] == ["message", "delta", "usage", "done"]
    assert replay[1][1]["text"] == final["content"]


@pytest.fixture
async def gated(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[ApiClient, ApiClient, AppState, GatedSleep]]:
    """An app whose simulated provider blocks mid-reply until released."""
    gate = GatedSleep(block_at=6)
    config = make_config(database_url, tmp_path)
    async with (
        running_app(config, clock, provider_sleep=gate) as (app, state),
        api_client(app) as first,
        api_client(app) as second,
    ):
        await first.register("a@example.com")
        second.cookies.update(first.cookies)
        yield first, second, state, gate
        gate.release()


async def test_stop_cancels_and_keeps_partial_text(
    gated: tuple[ApiClient, ApiClient, AppState, GatedSleep],
) -> None:
    client, other_tab, state, gate = gated
    cid = await new_conversation(client)
    sending = asyncio.create_task(send(client, cid, "a long answer please [[tokens:200]]"))
    await gate.reached.wait()
    [live_id] = [g for g in list(state.chat._live)] if state.chat else []
    stopped = await other_tab.post(f"/api/v1/messages/{live_id}/stop")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "cancelled"
    events = await sending
    assert events[-1][0] == "done"
    assert events[-1][1]["status"] == "cancelled"
    streamed = "".join(d["text"] for n, d in events if n == "delta")
    assert streamed
    assert stopped.json()["content"] == streamed


async def test_reattach_to_a_live_reply_gets_replay_and_tail(
    gated: tuple[ApiClient, ApiClient, AppState, GatedSleep],
) -> None:
    client, other_tab, state, gate = gated
    cid = await new_conversation(client)
    sending = asyncio.create_task(send(client, cid, "tell me everything [[tokens:30]]"))
    await gate.reached.wait()
    assert state.chat is not None
    [live_id] = list(state.chat._live)
    reattach = asyncio.create_task(other_tab.get(f"/api/v1/messages/{live_id}/stream"))
    live = state.chat.get(live_id)
    assert live is not None
    await live.wait_for_listeners(2)
    gate.release()
    original, replay = await sending, parse_sse((await reattach).text)
    assert replay == original
    assert replay[-1][1]["final"]["output_tokens"] == 30


async def test_shutdown_saves_a_live_reply_as_incomplete(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    gate = GatedSleep(block_at=4)
    config = make_config(database_url, tmp_path, shutdown_grace_seconds=0)
    async with (
        running_app(config, clock, provider_sleep=gate) as (app, _state),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = await new_conversation(client)
        sending = asyncio.create_task(send(client, cid, "x [[tokens:50]]"))
        await gate.reached.wait()
    events = await sending
    assert events[-1][0] == "error"
    assert events[-1][1]["code"] == "interrupted"
    engine = create_engine(database_url)  # the app's own engine is gone with it
    async with create_sessionmaker(engine)() as db:
        reply = (await db.scalars(select(Message).where(Message.role == "assistant"))).one()
    await engine.dispose()
    assert reply.status.value == "incomplete"
    assert reply.content == "".join(d["text"] for n, d in events if n == "delta")


async def test_models_lists_configured_models_with_prices(user_client: ApiClient) -> None:
    items = (await user_client.get("/api/v1/models")).json()["items"]
    by_id = {m["id"]: m for m in items}
    assert by_id["sim-small"]["simulated"] is True
    assert "simulated" in by_id["sim-small"]["label"]
    assert by_id["sim-small"]["default"] is True
    assert by_id["sim-small"]["context_window"] == 8192
    assert by_id["sim-image"]["kind"] == "image"
    assert set(by_id["sim-small"]["price"]) == {"input_per_mtok", "output_per_mtok", "per_image"}


async def test_title_mode_model_asks_the_title_model_and_records_its_usage(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={"chat": ModelConfig(provider="sim"), "titler": ModelConfig(provider="sim")},
        chat={"title_mode": "model", "title_model": "titler"},
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, state),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = await new_conversation(client)
        await send(client, cid, "How do lighthouses work?")
        assert state.chat is not None
        assert await state.chat.wait_idle(within=10)
        title = (await client.get(f"/api/v1/conversations/{cid}")).json()["title"]
        kinds = sorted(r.kind.value for r in await usage_rows(state))
    assert title
    assert title != "How do lighthouses work?"
    assert kinds == ["chat", "title"]
