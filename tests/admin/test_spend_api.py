"""Spend for admins: exact totals by user, key, model, provider and day over a period, top
spenders first, the CSV; kept by the database's rollup trigger whatever wrote the ledger."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from lockgate.models import UsageDaily, UsageKind, UsageOutcome, UsageRecord
from lockgate.state import AppState
from lockgate.usage.service import usage_values
from tests.admin.kit import user_id
from tests.fixtures.appkit import ApiClient


async def ledger(state: AppState, rows: list[dict[str, Any]]) -> None:
    async with state.sessionmaker() as db:
        for row in rows:
            db.add(
                UsageRecord(
                    **usage_values(
                        kind=UsageKind.CHAT,
                        outcome=UsageOutcome.OK,
                        **{"provider": "alpha", "model": "main", **row},
                    )
                )
            )
        await db.commit()


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


async def world(admin: ApiClient, member: ApiClient, state: AppState) -> dict[str, Any]:
    alice = uuid.UUID(await user_id(admin, "alice@example.com"))
    bob = uuid.UUID(await user_id(admin, "bob@example.com"))
    key = (await member.post("/api/v1/keys", json={"name": "bob-ci"})).json()
    key_id = uuid.UUID(key["id"])
    await ledger(
        state,
        [
            {"user_id": alice, "created_at": at(1), "cost_usd": Decimal("0.10000001")},
            {"user_id": alice, "created_at": at(1, 23), "cost_usd": Decimal("0.2")},
            {
                "user_id": bob,
                "api_key_id": key_id,
                "created_at": at(2, 0),
                "cost_usd": Decimal("1.5"),
                "model": "big",
                "provider": "beta",
                "input_tokens": 100,
                "output_tokens": 7,
            },
            {"user_id": bob, "created_at": at(2), "cost_usd": Decimal("0.00000001")},
            {"user_id": bob, "created_at": at(5), "cost_usd": Decimal("9")},  # outside
            {"user_id": None, "created_at": at(2), "saved_usd": Decimal("0.3"), "cost_usd": 0},
        ],
    )
    return {"alice": alice, "bob": bob, "key": key_id}


async def spend(admin: ApiClient, **params: Any) -> Any:
    response = await admin.get(
        "/api/v1/admin/spend", params={"start": "2026-03-01", "end": "2026-03-02", **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_top_spenders_by_user_with_exact_totals(
    admin: ApiClient, member: ApiClient, state: AppState
) -> None:
    ids = await world(admin, member, state)
    report = await spend(admin, by="user")
    assert [(r["label"], r["cost_usd"], r["requests"]) for r in report["rows"]] == [
        ("bob@example.com", "1.50000001", 2),
        ("alice@example.com", "0.30000001", 2),
        ("(no user: system calls)", "0.00000000", 1),
    ]
    assert report["rows"][0]["key"] == str(ids["bob"])
    assert report["total_cost_usd"] == "1.80000002"
    assert report["total_saved_usd"] == "0.30000000"
    assert (report["total_requests"], report["groups"]) == (5, 3)
    top = await spend(admin, by="user", limit=1)
    assert [r["label"] for r in top["rows"]] == ["bob@example.com"]
    assert top["total_cost_usd"] == "1.80000002"  # totals are the period's, not the page's


async def test_by_key_model_provider_and_day(
    admin: ApiClient, member: ApiClient, state: AppState
) -> None:
    ids = await world(admin, member, state)
    by_key = (await spend(admin, by="key"))["rows"]
    assert by_key[0]["key"] == str(ids["key"])
    assert by_key[0]["label"].startswith("bob-ci (lg-")
    assert by_key[0]["user_email"] == "bob@example.com"
    assert by_key[1]["label"] == "(web chat, no key)"
    by_model = (await spend(admin, by="model"))["rows"]
    assert [(r["label"], r["input_tokens"]) for r in by_model] == [
        ("big (beta)", 100),
        ("main (alpha)", 0),
    ]
    by_provider = (await spend(admin, by="provider"))["rows"]
    assert [(r["key"], r["cost_usd"]) for r in by_provider] == [
        ("beta", "1.50000000"),
        ("alpha", "0.30000002"),
    ]
    by_day = (await spend(admin, by="day"))["rows"]
    assert [(r["key"], r["cost_usd"]) for r in by_day] == [
        ("2026-03-01", "0.30000001"),
        ("2026-03-02", "1.50000001"),
    ]


async def test_filters_narrow_the_period(
    admin: ApiClient, member: ApiClient, state: AppState
) -> None:
    ids = await world(admin, member, state)
    bobs = await spend(admin, by="model", user_id=str(ids["bob"]))
    assert bobs["total_cost_usd"] == "1.50000001"
    whole = await spend(admin, by="user", end="2026-03-31", provider="alpha")
    assert whole["total_cost_usd"] == "9.30000002"


async def test_the_rollup_matches_the_ledger(
    admin: ApiClient, member: ApiClient, state: AppState
) -> None:
    await world(admin, member, state)
    async with state.sessionmaker() as db:
        assert await db.scalar(select(func.sum(UsageDaily.requests))) == 6
        assert await db.scalar(select(func.count()).select_from(UsageRecord)) == 6


async def test_the_csv_has_every_group(
    admin: ApiClient, member: ApiClient, state: AppState
) -> None:
    await world(admin, member, state)
    response = await admin.get(
        "/api/v1/admin/spend/export.csv",
        params={"start": "2026-03-01", "end": "2026-03-02", "by": "user"},
    )
    assert response.status_code == 200
    assert (
        "lockgate-spend-by-user-2026-03-01-2026-03-02.csv"
        in response.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "group",
        "label",
        "user_email",
        "requests",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "saved_usd",
    ]
    assert [(r[1], r[6]) for r in rows[1:]] == [
        ("bob@example.com", "1.50000001"),
        ("alice@example.com", "0.30000001"),
        ("(no user: system calls)", "0.00000000"),
    ]


async def test_a_bad_period_is_422(admin: ApiClient) -> None:
    for params in ({"start": "2026-03-02", "end": "2026-03-01"}, {"by": "team"}):
        response = await admin.get("/api/v1/admin/spend", params=params)
        assert response.status_code == 422
