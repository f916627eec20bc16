"""The usage CSV export: one line per call, RFC 4180 quoting, formula cells defused, streamed in
chunks, own rows only (admins: everyone's, with the email), the same period rules as the report."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.models import UsageKind, UsageOutcome, UsageRecord
from lockgate.state import AppState
from lockgate.usage import export
from lockgate.usage.period import utc_bounds
from lockgate.usage.service import usage_values
from tests.fixtures.appkit import ApiClient

NASTY = '=HYPERLINK("http://evil.example","click"), "quoted"\nnext line'


async def add_row(state: AppState, user_id: str, key_id: str | None, **values: Any) -> None:
    fields: dict[str, Any] = {
        "user_id": uuid.UUID(user_id),
        "api_key_id": uuid.UUID(key_id) if key_id else None,
        "kind": UsageKind.CHAT,
        "provider": "simulated",
        "model": "sim-small",
        "outcome": UsageOutcome.OK,
        "created_at": state.clock(),
        "input_tokens": 10,
        "output_tokens": 20,
        "cost_usd": Decimal("0.00002"),
    }
    fields.update(values)
    async with state.sessionmaker() as db:
        db.add(UsageRecord(**usage_values(**fields)))
        await db.commit()


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_one_line_per_call_with_the_key_and_exact_amounts(
    client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    me = (await client.register("alice@example.com"))["user"]["id"]
    key = (await client.post("/api/v1/keys", json={"name": "ci"})).json()
    await add_row(state, me, key["id"], cost_usd=Decimal("0.00000001"))
    clock.advance(minutes=5)
    await add_row(
        state,
        me,
        None,
        outcome=UsageOutcome.CACHE_HIT,
        cost_usd=Decimal(0),
        saved_usd=Decimal("1.25"),
    )
    response = await client.get("/api/v1/usage/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="lockgate-usage-2029-12-03-to-2030-01-01.csv"'
    )
    lines = parse(response.text)
    assert [
        (r["api_key"], r["api_key_prefix"], r["outcome"], r["cost_usd"], r["saved_usd"])
        for r in lines
    ] == [
        ("ci", key["prefix"], "ok", "0.00000001", "0.00000000"),
        ("web app", "", "cache_hit", "0.00000000", "1.25000000"),
    ]
    assert lines[0]["time_utc"] == "2030-01-01T00:00:00+00:00"
    assert (lines[0]["input_tokens"], lines[0]["output_tokens"]) == ("10", "20")
    assert "user_email" not in lines[0]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_evaluate_is_made_text(start: str) -> None:
    assert export.safe_cell(f"{start}1+2") == f"'{start}1+2"
    assert export.safe_cell(f"a{start}") == f"a{start}"


async def test_formulas_quotes_commas_and_newlines_survive_as_text(
    client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    me = (await client.register("alice@example.com"))["user"]["id"]
    for name in (NASTY, "+1 555", "-cmd", "@SUM(A1)"):
        key = (await client.post("/api/v1/keys", json={"name": name})).json()
        await add_row(state, me, key["id"], error_code="=1+1")
        clock.advance(seconds=1)
    text = (await client.get("/api/v1/usage/export")).text
    lines = parse(text)
    assert [r["api_key"] for r in lines] == [f"'{NASTY}", "'+1 555", "'-cmd", "'@SUM(A1)"]
    assert {r["error_code"] for r in lines} == {"'=1+1"}
    for formula in ("\n=", ",=", '"='):  # no cell starts with "=" however it is quoted
        assert formula not in text


async def test_a_large_export_streams_in_chunks_and_parses_whole(
    client: ApiClient, state: AppState, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_CHARS", 200)
    me = (await client.register("alice@example.com"))["user"]["id"]
    for tokens in range(40):
        await add_row(state, me, None, input_tokens=tokens)
        clock.advance(seconds=1)
    start, end = utc_bounds(state.clock().date(), state.clock().date())
    chunks = [
        chunk
        async for chunk in export.ledger_csv(
            state.sessionmaker, start=start, end=end, user_id=uuid.UUID(me)
        )
    ]
    assert len(chunks) > 5  # written as the rows are read, never the whole file at once
    assert [int(r["input_tokens"]) for r in parse("".join(chunks))] == list(range(40))
    response = await client.get("/api/v1/usage/export")
    assert "content-length" not in response.headers  # streamed: the length is not known
    assert response.text == "".join(chunks)


async def test_only_my_rows_and_the_period_asked_for(
    user_client: ApiClient, other_client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    me = (await user_client.get("/api/v1/auth/me")).json()["id"]
    bob = (await other_client.register("bob@example.com"))["user"]["id"]
    await add_row(state, me, None, model="mine-old")
    clock.advance(days=2)
    await add_row(state, me, None, model="mine-new")
    clock.advance(seconds=1)
    await add_row(state, bob, None, model="bobs")
    mine = parse((await user_client.get("/api/v1/usage/export")).text)
    assert [r["model"] for r in mine] == ["mine-old", "mine-new"]
    today = clock().date().isoformat()
    recent = await user_client.get("/api/v1/usage/export", params={"start": today})
    assert [r["model"] for r in parse(recent.text)] == ["mine-new"]
    everyone = parse((await user_client.get("/api/v1/usage/export?scope=all")).text)
    assert [(r["model"], r["user_email"]) for r in everyone] == [
        ("mine-old", "alice@example.com"),
        ("mine-new", "alice@example.com"),
        ("bobs", "bob@example.com"),
    ]


async def test_refusals(user_client: ApiClient, other_client: ApiClient, clock: FakeClock) -> None:
    await other_client.register("bob@example.com")
    day = clock().date()
    answers = [
        await other_client.get("/api/v1/usage/export", params={"scope": "all"}),
        await user_client.get(
            "/api/v1/usage/export",
            params={"start": day.isoformat(), "end": (day - timedelta(days=1)).isoformat()},
        ),
        await user_client.get(
            "/api/v1/usage/export", params={"start": (day - timedelta(days=400)).isoformat()}
        ),
        await user_client.get("/api/v1/usage/export", params={"start": "yesterday"}),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in answers] == [
        (403, "forbidden"),
        (422, "validation_error"),
        (422, "validation_error"),
        (422, "validation_error"),
    ]


async def test_signed_out_is_401(client: ApiClient) -> None:
    assert (await client.get("/api/v1/usage/export")).status_code == 401
