"""Past the per-process send limit, a send or regenerate is refused at once: 503 ``overloaded``
with Retry-After, and nothing saved or reserved, so the retry loses nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lockgate.chat.admission import ChatOverloaded, SendAdmission
from lockgate.clock import FakeClock
from lockgate.gate.config import BudgetsConfig, GateConfig, UserBudget
from lockgate.models import Message, UsageRecord
from lockgate.observability.metrics import Metrics
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

Limited = tuple[ApiClient, AppState]


@pytest.fixture
async def limited(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Limited]:
    """One send at a time per process; every user has a budget, so each send reserves."""
    file = FileConfig(gate=GateConfig(budgets=BudgetsConfig(users=UserBudget(daily_usd=10))))
    config = make_config(database_url, tmp_path, file=file, chat_max_sends_in_flight=1)
    async with running_app(config, clock) as (app, state), api_client(app) as client:
        await client.register("a@example.com")
        yield client, state


def sample(state: AppState, name: str, **labels: str) -> float:
    found = state.metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def reservations(state: AppState) -> float:
    return sample(state, "lockgate_budget_reservations_total", scope_kind="user", result="reserved")


async def count(state: AppState, model: type[Message] | type[UsageRecord]) -> int:
    async with state.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_send_past_the_limit_is_shed_before_anything_is_saved(limited: Limited) -> None:
    client, state = limited
    assert state.chat is not None
    assert state.chat.admission is not None
    cid = await new_conversation(client)
    with state.chat.admission.slot():  # the one slot is held, as by a send being set up
        in_flight = sample(state, "lockgate_chat_sends_in_flight")
        refused = await client.post(
            f"/api/v1/conversations/{cid}/messages", json={"content": "are you there?"}
        )
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "overloaded")
    assert refused.headers["Retry-After"] == "1"
    assert in_flight == 1
    assert sample(state, "lockgate_chat_sends_shed_total") == 1
    assert (await count(state, Message), await count(state, UsageRecord)) == (0, 0)
    assert reservations(state) == 0
    # The slot is free again: the same message goes through, and the slot is given back.
    events = await send(client, cid, "are you there?")
    assert events[-1][0] == "done"
    assert (await count(state, Message), reservations(state)) == (2, 1)
    assert sample(state, "lockgate_chat_sends_in_flight") == 0
    assert sample(state, "lockgate_chat_sends_shed_total") == 1


async def test_a_regenerate_past_the_limit_is_shed_and_keeps_the_old_answer(
    limited: Limited,
) -> None:
    client, state = limited
    assert state.chat is not None
    assert state.chat.admission is not None
    cid = await new_conversation(client)
    events = await send(client, cid, "hello")
    reply_id = events[0][1]["assistant_message"]["id"]
    before = (await count(state, Message), reservations(state))
    with state.chat.admission.slot():
        refused = await client.post(f"/api/v1/messages/{reply_id}/regenerate", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "overloaded")
    assert refused.headers["Retry-After"] == "1"
    assert (await count(state, Message), reservations(state)) == before
    assert sample(state, "lockgate_chat_sends_shed_total") == 1


def test_the_admission_gives_its_slot_back_when_the_send_fails() -> None:
    metrics = Metrics()
    admission = SendAdmission(2, metrics=metrics)
    gauge = "lockgate_chat_sends_in_flight"
    with admission.slot(), admission.slot():
        assert metrics.registry.get_sample_value(gauge) == 2
        with pytest.raises(ChatOverloaded), admission.slot():
            pass
    with pytest.raises(RuntimeError), admission.slot():
        raise RuntimeError("the send failed")
    with admission.slot():
        assert admission.in_flight == 1
    assert (admission.in_flight, metrics.registry.get_sample_value(gauge)) == (0, 0)
    assert metrics.registry.get_sample_value("lockgate_chat_sends_shed_total") == 1


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SendAdmission(0)


async def test_a_refused_or_failed_send_gives_its_slot_back(limited: Limited) -> None:
    client, state = limited
    missing = "00000000-0000-4000-8000-000000000000"
    not_found = await client.post(
        f"/api/v1/conversations/{missing}/messages", json={"content": "x"}
    )
    cid = await new_conversation(client)
    empty = await client.post(f"/api/v1/conversations/{cid}/messages", json={"content": "  "})
    await client.post("/api/v1/auth/logout")
    signed_out = await client.post(f"/api/v1/conversations/{cid}/messages", json={"content": "x"})
    assert (not_found.status_code, empty.status_code, signed_out.status_code) == (404, 422, 401)
    assert sample(state, "lockgate_chat_sends_in_flight") == 0
    assert sample(state, "lockgate_chat_sends_shed_total") == 0  # the one slot was free each time
