"""The keys page's API: every option of a new key and its validation errors, the secret never
shown again, and last use, spend and remaining budget computed from real ``/v1`` calls' usage
rows (the official `openai` SDK as the client), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from sqlalchemy import event, select

from lockgate.clock import FakeClock
from lockgate.keys import service as key_service
from lockgate.keys.spend import Periods
from lockgate.models import UsageKind, UsageOutcome, UsageRecord
from lockgate.settings import FileConfig
from lockgate.state import AppState
from lockgate.usage.service import usage_values
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

PRICE = {"input_per_mtok": "1000", "output_per_mtok": "2000"}


def priced_file(timezone: str = "UTC") -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {"sim": {"type": "simulated", "directives": True}},
            "models": {
                "sim-chat": {"provider": "sim", "price": PRICE},
                "sim-other": {"provider": "sim", "price": PRICE},
            },
            "gate": {
                "rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"},
                "budgets": {"timezone": timezone},
            },
        }
    )


@pytest.fixture
def clock() -> FakeClock:
    """Two days before the end of a month: today, yesterday and last month in one session."""
    return FakeClock(datetime(2030, 1, 30, 12, tzinfo=UTC))


@pytest.fixture
async def world(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Any, AppState]]:
    async with running_app(make_config(database_url, tmp_path, file=priced_file()), clock) as pair:
        yield pair


@pytest.fixture
async def web(world: tuple[Any, AppState]) -> AsyncIterator[ApiClient]:
    async with api_client(world[0]) as client:
        await client.register("alice@example.com")
        yield client


@pytest.fixture
async def bob(world: tuple[Any, AppState]) -> AsyncIterator[ApiClient]:
    async with api_client(world[0]) as client:
        await client.register("bob@example.com")
        yield client


@pytest.fixture
async def sdk_for(world: tuple[Any, AppState]) -> AsyncIterator[Any]:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=world[0])) as http:

        def make(key: str) -> openai.AsyncOpenAI:
            return openai.AsyncOpenAI(
                base_url="http://testserver/v1", api_key=key, http_client=http, max_retries=0
            )

        yield make


async def create(web: ApiClient, **body: Any) -> dict[str, Any]:
    response = await web.post("/api/v1/keys", json={"name": "k", **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def ask(sdk: openai.AsyncOpenAI, model: str = "sim-chat") -> None:
    await sdk.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi [[tokens:7]]"}], max_tokens=20
    )


async def ledger(state: AppState, key_id: str) -> list[UsageRecord]:
    await state.usage_writer.flush()
    async with state.sessionmaker() as db:
        stmt = select(UsageRecord).where(UsageRecord.api_key_id == uuid.UUID(key_id))
        return list((await db.scalars(stmt)).all())


async def test_every_option_is_stored_and_read_back(web: ApiClient, clock: FakeClock) -> None:
    expires = (clock() + timedelta(days=30)).isoformat()
    created = await create(
        web,
        name="  nightly batch  ",
        expires_at=expires,
        allowed_models=["sim-chat", "sim-other", "sim-chat"],
        daily_budget_usd="2.5",
        monthly_budget_usd=40,
        rpm=30,
        tpm=50_000,
    )
    got = (await web.get(f"/api/v1/keys/{created['id']}")).json()
    assert {
        k: got[k]
        for k in ("name", "allowed_models", "rpm", "tpm", "status", "expires_at", "last_used_at")
    } == {
        "name": "nightly batch",
        "allowed_models": ["sim-chat", "sim-other"],  # duplicates dropped, order kept
        "rpm": 30,
        "tpm": 50_000,
        "status": "active",
        "expires_at": got["expires_at"],
        "last_used_at": None,
    }
    assert datetime.fromisoformat(got["expires_at"]) == clock() + timedelta(days=30)
    assert (Decimal(got["daily_budget_usd"]), Decimal(got["monthly_budget_usd"])) == (
        Decimal("2.5"),
        Decimal(40),
    )
    assert Decimal(got["spend"]["daily_remaining_usd"]) == Decimal("2.5")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"allowed_models": []}, "no_allowed_models"),
        ({"allowed_models": ["sim-chat", "gpt-nope"]}, "unknown_model"),
        ({"expires_at": "2029-12-31T23:59:59Z"}, "expiry_in_past"),
        ({"daily_budget_usd": "10", "monthly_budget_usd": "9.99"}, "daily_budget_above_monthly"),
        ({"name": "   "}, "validation_error"),
        ({"name": "x" * 101}, "validation_error"),
        ({"rpm": 0}, "validation_error"),
        ({"tpm": -1}, "validation_error"),
        ({"monthly_budget_usd": "-1"}, "validation_error"),
        ({"allowed_models": [""]}, "validation_error"),
        ({"team": "x"}, "validation_error"),
    ],
)
async def test_invalid_options_are_a_422_with_a_stable_code(
    web: ApiClient, body: dict[str, Any], code: str
) -> None:
    response = await web.post("/api/v1/keys", json={"name": "k", **body})
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    assert (await web.get("/api/v1/keys")).json() == []


async def test_active_keys_are_capped_per_user(
    web: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_service, "MAX_ACTIVE_KEYS", 2)
    first = await create(web)
    await create(web)
    refused = await web.post("/api/v1/keys", json={"name": "third"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "too_many_keys")
    await web.delete(f"/api/v1/keys/{first['id']}")
    assert (await web.post("/api/v1/keys", json={"name": "third"})).status_code == 201


async def test_the_secret_is_never_returned_again(
    web: ApiClient, sdk_for: Any, state_of_world: AppState
) -> None:
    created = await create(web, daily_budget_usd="1")
    await ask(sdk_for(created["key"]))
    answers = [
        await web.get("/api/v1/keys"),
        await web.get(f"/api/v1/keys/{created['id']}"),
        await web.get("/api/v1/keys", params={"scope": "all"}),
        await web.get("/api/v1/usage"),
        await web.get("/api/v1/usage/export"),
        await web.delete(f"/api/v1/keys/{created['id']}"),
    ]
    assert [r.status_code for r in answers] == [200] * 6
    assert all(created["key"] not in r.text for r in answers)
    assert all(created["key"][10:20] not in r.text for r in answers)
    assert "key" not in answers[0].json()[0]


@pytest.fixture
def state_of_world(world: tuple[Any, AppState]) -> AppState:
    return world[1]


async def test_last_use_spend_and_remaining_come_from_the_calls_usage_rows(
    web: ApiClient, sdk_for: Any, state_of_world: AppState, clock: FakeClock
) -> None:
    created = await create(web, daily_budget_usd="1", monthly_budget_usd="3")
    idle = await create(web, name="idle")
    clock.advance(hours=2)
    sdk = sdk_for(created["key"])
    for _ in range(3):
        await ask(sdk)
    rows = await ledger(state_of_world, created["id"])
    cost = sum((r.cost_usd for r in rows), Decimal(0))
    assert len(rows) == 3
    assert cost > 0

    listed = {k["name"]: k for k in (await web.get("/api/v1/keys")).json()}
    used, unused = listed["k"], listed["idle"]
    assert datetime.fromisoformat(used["last_used_at"]) == clock()
    assert Decimal(used["spend"]["today_usd"]) == cost
    assert Decimal(used["spend"]["month_usd"]) == cost
    assert Decimal(used["spend"]["daily_remaining_usd"]) == Decimal(1) - cost
    assert Decimal(used["spend"]["monthly_remaining_usd"]) == Decimal(3) - cost
    assert datetime.fromisoformat(used["spend"]["day_resets_at"]) == datetime(
        2030, 1, 31, tzinfo=UTC
    )
    assert unused["last_used_at"] is None
    assert Decimal(unused["spend"]["month_usd"]) == 0
    assert unused["spend"]["daily_remaining_usd"] is None
    assert idle["id"] == unused["id"]


async def test_yesterday_counts_for_the_month_not_today(
    web: ApiClient, sdk_for: Any, state_of_world: AppState, clock: FakeClock
) -> None:
    created = await create(web, daily_budget_usd="5")
    await ask(sdk_for(created["key"]))
    first = sum((r.cost_usd for r in await ledger(state_of_world, created["id"])), Decimal(0))
    clock.advance(days=1)
    await ask(sdk_for(created["key"]))
    both = sum((r.cost_usd for r in await ledger(state_of_world, created["id"])), Decimal(0))
    spend = (await web.get(f"/api/v1/keys/{created['id']}")).json()["spend"]
    assert (Decimal(spend["today_usd"]), Decimal(spend["month_usd"])) == (both - first, both)
    clock.advance(days=1)  # February: January's spend is no longer this month's
    spend = (await web.get(f"/api/v1/keys/{created['id']}")).json()["spend"]
    assert (Decimal(spend["today_usd"]), Decimal(spend["month_usd"])) == (Decimal(0), Decimal(0))


async def test_an_overspent_budget_has_nothing_left_never_a_negative_amount(
    web: ApiClient, state_of_world: AppState, clock: FakeClock
) -> None:
    created = await create(web, daily_budget_usd="0.5")
    me = (await web.get("/api/v1/auth/me")).json()["id"]
    async with state_of_world.sessionmaker() as db:
        for cost in ("0.30000001", "0.30000002", "0.00000015"):
            db.add(
                UsageRecord(
                    **usage_values(
                        user_id=uuid.UUID(me),
                        api_key_id=uuid.UUID(created["id"]),
                        kind=UsageKind.CHAT,
                        provider="sim",
                        model="sim-chat",
                        outcome=UsageOutcome.OK,
                        created_at=clock(),
                        cost_usd=Decimal(cost),
                    )
                )
            )
        await db.commit()
    spend = (await web.get(f"/api/v1/keys/{created['id']}")).json()["spend"]
    assert Decimal(spend["today_usd"]) == Decimal("0.60000018")  # exact on both databases
    assert Decimal(spend["daily_remaining_usd"]) == 0


async def test_another_users_key_is_not_found(web: ApiClient, bob: ApiClient) -> None:
    bobs = await create(bob, name="bob's")
    alices = await create(web, name="alice's")
    assert (await bob.get(f"/api/v1/keys/{alices['id']}")).status_code == 404
    assert (await bob.get(f"/api/v1/keys/{uuid.uuid4()}")).status_code == 404
    assert [k["name"] for k in (await bob.get("/api/v1/keys")).json()] == ["bob's"]
    # alice registered first, so she is the administrator: she may read bob's key
    assert (await web.get(f"/api/v1/keys/{bobs['id']}")).json()["name"] == "bob's"


async def test_everyones_keys_carry_their_spend_for_admins(
    web: ApiClient, bob: ApiClient, sdk_for: Any, state_of_world: AppState
) -> None:
    bobs = await create(bob, name="bob's")
    await ask(sdk_for(bobs["key"]))
    cost = sum((r.cost_usd for r in await ledger(state_of_world, bobs["id"])), Decimal(0))
    everyone = (await web.get("/api/v1/keys", params={"scope": "all"})).json()
    assert [(k["name"], Decimal(k["spend"]["today_usd"])) for k in everyone] == [("bob's", cost)]


async def test_a_revoked_key_is_refused_and_listed_as_revoked(web: ApiClient, sdk_for: Any) -> None:
    created = await create(web)
    sdk = sdk_for(created["key"])
    await ask(sdk)
    assert (await web.delete(f"/api/v1/keys/{created['id']}")).status_code == 200
    with pytest.raises(openai.AuthenticationError) as refused:
        await ask(sdk)
    assert json.dumps(refused.value.body).count("revoked") >= 1
    assert (await web.get(f"/api/v1/keys/{created['id']}")).json()["status"] == "revoked"


async def test_an_expired_key_is_listed_as_expired(web: ApiClient, clock: FakeClock) -> None:
    created = await create(web, expires_at=(clock() + timedelta(hours=1)).isoformat())
    clock.advance(hours=1)
    assert (await web.get(f"/api/v1/keys/{created['id']}")).json()["status"] == "expired"


@pytest.mark.parametrize(
    ("tz", "now", "day", "month"),
    [
        # 03:00 UTC on the 1st is still the last day of the month in New York
        ("America/New_York", "2030-03-01T03:00:00+00:00", "2030-02-28T05:00", "2030-02-01T05:00"),
        # the day daylight saving starts has 23 hours there
        ("America/New_York", "2030-03-10T12:00:00+00:00", "2030-03-10T05:00", "2030-03-01T05:00"),
        ("Asia/Tokyo", "2030-12-31T16:00:00+00:00", "2030-12-31T15:00", "2030-12-31T15:00"),
    ],
)
def test_periods_are_the_budget_time_zones_day_and_month(
    tz: str, now: str, day: str, month: str
) -> None:
    periods = Periods.at(datetime.fromisoformat(now), tz)
    utc = periods.day_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    assert (utc, periods.month_start.strftime("%Y-%m-%dT%H:%M")) == (day, month)
    assert periods.day_end > datetime.fromisoformat(now) >= periods.day_start
    assert periods.month_end > periods.day_end - timedelta(seconds=1)


async def test_the_list_costs_the_same_queries_for_one_key_or_many(
    web: ApiClient, sdk_for: Any, state_of_world: AppState
) -> None:
    """Spend comes from one aggregate over the ledger, never a query per key."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    async def count_list() -> int:
        await web.get("/api/v1/keys")  # warm: session touch and cache loads are not counted
        statements.clear()
        event.listen(state_of_world.engine.sync_engine, "before_cursor_execute", record)
        try:
            assert (await web.get("/api/v1/keys")).status_code == 200
        finally:
            event.remove(state_of_world.engine.sync_engine, "before_cursor_execute", record)
        return len(statements)

    first = await create(web)
    await ask(sdk_for(first["key"]))
    one = await count_list()
    for index in range(5):
        key = await create(web, name=f"more {index}")
        await ask(sdk_for(key["key"]))
    assert await count_list() == one
    assert sum("usage_records" in s for s in statements) == 1
