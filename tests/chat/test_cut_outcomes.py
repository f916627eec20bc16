"""A shutdown's cut lands whenever the grace ends: wherever it lands, the saved row and the final
event every listener reads say the same thing, and the row never stays ``streaming``.

Found by the loopback cluster's rolling update on a loaded machine: a cut landing while a finished
reply waited for its final save withdrew the save (the row was then closed by another replica's
janitor with older text) or skipped the final event (the browser read "interrupted" with no text
while the row was saved ``complete``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.calls.runner import CallRunner
from lockgate.chat.events import ChatUsageEvent
from lockgate.chat.generation import Generation
from lockgate.clock import FakeClock
from lockgate.models import Message, MessageStatus
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send
from tests.fixtures.appkit import ApiClient, GatedSleep, api_client, make_config, running_app
from tests.fixtures.fake_time import until


@dataclass
class Chat:
    client: ApiClient
    state: AppState
    gate: GatedSleep
    cid: str

    @property
    def generation(self) -> Generation:
        [live] = list(self.state.chat._live.values())
        return live

    async def saved(self, message_id: str) -> Message:
        async with self.state.sessionmaker() as db:
            row = await db.get(Message, uuid.UUID(message_id))
        assert row is not None
        return row


@pytest.fixture
async def chat(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Chat]:
    """A replica whose provider blocks at its 2nd sleep: mid-stream for a normal reply (after
    the first-token wait), or in the retry's backoff for a reply whose first call failed."""
    gate = GatedSleep(block_at=2)
    config = make_config(database_url, tmp_path, shutdown_grace_seconds=0)
    async with (
        running_app(config, clock, provider_sleep=gate) as (app, state),
        api_client(app) as client,
    ):
        await client.register("cut@example.com")
        yield Chat(client, state, gate, await new_conversation(client))
        gate.release()


def final_of(events: list[tuple[str, Any]]) -> tuple[str, dict[str, Any]]:
    name, data = events[-1]
    assert name in {"done", "error"}, events
    return name, data


def streamed(events: list[tuple[str, Any]]) -> str:
    return "".join(data["text"] for name, data in events if name == "delta")


async def cut_now(state: AppState) -> None:
    """The drain's grace is 0: every live reply is cut at once, as at the end of a grace."""
    await state.chat.begin_drain(0)


async def test_a_cut_while_the_final_save_waits_for_the_writer_keeps_the_outcome(
    chat: Chat,
) -> None:
    sending = asyncio.create_task(send(chat.client, chat.cid, "hello [[tokens:12]]"))
    await chat.gate.reached.wait()
    generation = chat.generation
    held = asyncio.Event()

    async def hold_the_writer(_db: AsyncSession) -> None:
        await held.wait()

    blocker = chat.state.chat.writer.submit(hold_the_writer)
    chat.gate.release()
    await until(lambda: generation._finishing)  # the stream ended; its save is queued
    drain = asyncio.create_task(cut_now(chat.state))
    await until(lambda: generation._task is not None and generation._task.cancelling() > 0)
    held.set()
    await drain
    await blocker.future
    events = await sending
    name, data = final_of(events)
    assert (name, data["status"]) == ("done", "complete")
    row = await chat.saved(data["final"]["id"])
    assert (row.status.value, row.content) == ("complete", streamed(events))
    assert data["final"]["content"] == row.content


async def test_a_cut_during_the_final_save_transaction_keeps_the_outcome(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside, held = asyncio.Event(), asyncio.Event()
    save_final = Generation._save_final

    async def slow_save(self: Generation, *args: Any) -> Any:
        inside.set()
        await held.wait()
        return await save_final(self, *args)

    monkeypatch.setattr(Generation, "_save_final", slow_save)
    sending = asyncio.create_task(send(chat.client, chat.cid, "hello [[tokens:12]]"))
    await chat.gate.reached.wait()
    generation = chat.generation
    chat.gate.release()
    await inside.wait()
    drain = asyncio.create_task(cut_now(chat.state))
    await until(lambda: generation._task is not None and generation._task.cancelling() > 0)
    held.set()
    await drain
    events = await sending
    name, data = final_of(events)
    assert (name, data["status"]) == ("done", "complete")
    row = await chat.saved(data["final"]["id"])
    assert (row.status.value, row.content) == ("complete", streamed(events))


async def test_a_cut_while_waiting_to_retry_closes_the_reply_as_interrupted(chat: Chat) -> None:
    sending = asyncio.create_task(send(chat.client, chat.cid, "hello [[fail:timeout]]"))
    await asyncio.wait_for(chat.gate.reached.wait(), 5)  # the first call timed out; the retry waits
    print("REACHED", chat.gate.calls, flush=True)
    try:
        await asyncio.wait_for(asyncio.shield(cut_now(chat.state)), 5)
    except TimeoutError:
        for t in asyncio.all_tasks():
            t.print_stack(limit=6)
        raise
    await cut_now(chat.state)
    events = await sending
    name, data = final_of(events)
    assert (name, data["code"], data["status"]) == ("error", "interrupted", "error")
    assert data["final"] is not None
    row = await chat.saved(data["final"]["id"])
    assert (row.status.value, row.error_code) == ("error", "interrupted")
    assert data["final"]["status"] == "error"


async def test_a_reply_that_fails_unexpectedly_is_closed_with_the_text_its_listeners_saw(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = CallRunner.run

    async def broken(self: CallRunner) -> Any:
        attempt = await run(self)
        raise RuntimeError(f"a bug after {len(attempt.text)} deltas")

    monkeypatch.setattr(CallRunner, "run", broken)
    chat.gate.release()
    events = await send(chat.client, chat.cid, "hello [[tokens:8]]")
    name, data = final_of(events)
    assert (name, data["code"], data["status"]) == ("error", "internal_error", "error")
    row = await chat.saved(data["final"]["id"])
    assert (row.status.value, row.error_code) == ("error", "internal_error")
    assert row.content == streamed(events) == data["final"]["content"]
    assert streamed(events)


async def test_a_failure_after_the_final_save_keeps_the_saved_outcome(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish = Generation.publish

    def failing_after_the_save(self: Generation, event: Any) -> None:
        if isinstance(event, ChatUsageEvent):  # published once the final state is committed
            raise RuntimeError("a bug after the save")
        publish(self, event)

    monkeypatch.setattr(Generation, "publish", failing_after_the_save)
    chat.gate.release()
    events = await send(chat.client, chat.cid, "hello [[tokens:8]]")
    name, data = final_of(events)
    assert (name, data["status"]) == ("done", "complete")
    row = await chat.saved(data["final"]["id"])
    assert (row.status.value, row.content) == ("complete", streamed(events))


async def test_a_reply_closed_elsewhere_before_its_final_save_keeps_that_status(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A janitor (or a stop on another replica) closed the row before any partial save could
    tell the reply: that decision stands, with the text generated (and billed)."""
    save_final = Generation._save_final

    async def closed_first(self: Generation, *args: Any) -> Any:
        db: AsyncSession = args[-1]
        await db.execute(
            update(Message)
            .where(Message.id == self.message_id)
            .values(status=MessageStatus.INCOMPLETE)
        )
        return await save_final(self, *args)

    monkeypatch.setattr(Generation, "_save_final", closed_first)
    chat.gate.release()
    events = await send(chat.client, chat.cid, "hello [[tokens:8]]")
    _name, data = final_of(events)
    assert data["status"] == "incomplete"
    row = await chat.saved(data["final"]["id"])
    assert (row.status.value, row.content) == ("incomplete", streamed(events))
    assert row.output_tokens == 8
