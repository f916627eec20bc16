"""Spend reports: by UTC day and model, own or (admins) everyone's."""

from __future__ import annotations

from decimal import Decimal

from lockgate.clock import FakeClock
from lockgate.models import UsageKind, UsageOutcome, UsageRecord
from lockgate.state import AppState
from lockgate.usage.service import usage_values
from tests.fixtures.appkit import ApiClient


async def add_usage(state: AppState, user_id: str, model: str, cost: str, tokens: int) -> None:
    import uuid

    async with state.sessionmaker() as db:
        db.add(
            UsageRecord(
                **usage_values(
                    user_id=uuid.UUID(user_id),
                    kind=UsageKind.CHAT,
                    provider="simulated",
                    model=model,
                    outcome=UsageOutcome.OK,
                    created_at=state.clock(),
                    input_tokens=tokens,
                    output_tokens=tokens,
                    cost_usd=Decimal(cost),
                )
            )
        )
        await db.commit()


async def test_own_usage_groups_by_day_and_model_with_exact_sums(
    client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    me = (await client.register("alice@example.com"))["user"]["id"]
    for cost in ("0.10000001", "0.20000002", "0.30000003"):
        await add_usage(state, me, "sim-small", cost, 10)
    await add_usage(state, me, "sim-large", "1", 5)
    clock.advance(days=1)
    await add_usage(state, me, "sim-small", "0.5", 1)
    report = (await client.get("/api/v1/usage")).json()
    rows = {(r["day"], r["model"]): r for r in report["rows"]}
    day1 = "2030-01-01"
    assert rows[(day1, "sim-small")]["requests"] == 3
    assert Decimal(rows[(day1, "sim-small")]["cost_usd"]) == Decimal("0.60000006")
    assert rows[(day1, "sim-small")]["input_tokens"] == 30
    assert Decimal(rows[("2030-01-02", "sim-small")]["cost_usd"]) == Decimal("0.5")
    assert Decimal(report["total_cost_usd"]) == Decimal("2.10000006")
    assert report["total_requests"] == 5


async def test_users_only_see_their_own_spend(
    user_client: ApiClient, other_client: ApiClient, state: AppState
) -> None:
    bob = (await other_client.register("bob@example.com"))["user"]["id"]
    await add_usage(state, bob, "sim-small", "0.25", 3)
    alice_view = (await user_client.get("/api/v1/usage")).json()
    assert alice_view["rows"] == []
    bob_view = (await other_client.get("/api/v1/usage")).json()
    assert Decimal(bob_view["total_cost_usd"]) == Decimal("0.25")


async def test_admins_see_everyone_per_user(
    user_client: ApiClient, other_client: ApiClient, state: AppState
) -> None:
    bob = (await other_client.register("bob@example.com"))["user"]["id"]
    await add_usage(state, bob, "sim-small", "0.25", 3)
    report = (await user_client.get("/api/v1/usage", params={"scope": "all"})).json()
    assert [(r["user_email"], r["cost_usd"]) for r in report["rows"]] == [
        ("bob@example.com", "0.25000000")
    ]


async def test_non_admins_cannot_see_everyone(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    await other_client.register("bob@example.com")
    response = await other_client.get("/api/v1/usage", params={"scope": "all"})
    assert response.status_code == 403


async def test_bad_ranges_are_422(user_client: ApiClient) -> None:
    backwards = await user_client.get(
        "/api/v1/usage", params={"start": "2030-02-01", "end": "2030-01-01"}
    )
    assert backwards.status_code == 422
    too_long = await user_client.get(
        "/api/v1/usage", params={"start": "2028-01-01", "end": "2030-01-01"}
    )
    assert too_long.status_code == 422
    not_a_date = await user_client.get("/api/v1/usage", params={"start": "yesterday"})
    assert not_a_date.status_code == 422
