"""A stop names one reply: a late or repeated stop for reply N never reaches reply N+1.

The browser's Esc can send its stop just as the reply it meant ends, or twice (a key press
and a click); the conversation's next reply must not pay for that. The server stops by message
id only; this pins that down through the HTTP API with the next reply mid-stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app


class Valve:
    """A provider sleep that holds the stream at its next pause while closed (``reached`` is
    set then), so a test acts while a reply is certainly mid-stream; open by default."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self._open = asyncio.Event()
        self._open.set()

    def close(self) -> None:
        self.reached.clear()
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def __call__(self, _seconds: float) -> None:
        if not self._open.is_set():
            self.reached.set()
            await self._open.wait()
        await asyncio.sleep(0)


Valved = tuple[ApiClient, ApiClient, AppState, Valve]


@pytest.fixture
async def valved(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Valved]:
    valve = Valve()
    config = make_config(database_url, tmp_path)
    async with (
        running_app(config, clock, provider_sleep=valve) as (app, state),
        api_client(app) as tab,
        api_client(app) as other_tab,
    ):
        await tab.register("a@example.com")
        other_tab.cookies.update(tab.cookies)
        yield tab, other_tab, state, valve
        valve.open()


async def live_reply(state: AppState, valve: Valve) -> str:
    """The one reply being generated, once the valve holds it."""
    await valve.reached.wait()
    assert state.chat is not None
    [live] = list(state.chat._live)
    return str(live)


async def test_a_late_stop_for_the_previous_reply_leaves_the_next_one_running(
    valved: Valved,
) -> None:
    tab, other_tab, state, valve = valved
    cid = await new_conversation(tab, title="stops")
    valve.close()
    first = asyncio.create_task(send(tab, cid, "count to a thousand [[tokens:200]]"))
    first_id = await live_reply(state, valve)
    assert (await other_tab.post(f"/api/v1/messages/{first_id}/stop")).json()["status"] == (
        "cancelled"
    )
    assert (await first)[-1][1]["status"] == "cancelled"

    valve.close()
    second = asyncio.create_task(send(tab, cid, "a story [[tokens:20]]"))
    second_id = await live_reply(state, valve)
    assert second_id != first_id
    late = await other_tab.post(f"/api/v1/messages/{first_id}/stop")  # the Esc, arriving late
    assert late.status_code == 200
    assert late.json()["id"] == first_id
    assert late.json()["status"] == "cancelled"
    assert state.chat is not None
    assert [str(m) for m in state.chat._live] == [second_id]  # still generating

    valve.open()
    events = await second
    assert events[-1][0] == "done"
    assert events[-1][1]["status"] == "complete"
    assert events[-1][1]["final"]["id"] == second_id
    assert events[-1][1]["final"]["output_tokens"] == 20
