"""Key bodies: every date and number is range-checked into a 422, never a 500."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.fixtures.appkit import ApiClient


@pytest.mark.parametrize(
    "expires_at",
    [
        "2030-06-01T00:00:00",  # no zone: comparing it with the clock raised TypeError
        "9999-12-31T23:59:59-12:00",  # converting it to UTC raised OverflowError
        "0001-01-01T00:00:00Z",
        "9001-01-01T00:00:00Z",
        "2031-01-01",
        "0",
        0,
        1_924_992_000,  # a Unix time: ambiguous, refused
        True,
    ],
)
async def test_bad_expiry_is_a_422_naming_the_field(
    user_client: ApiClient, expires_at: Any
) -> None:
    response = await user_client.post("/api/v1/keys", json={"name": "x", "expires_at": expires_at})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"].split(":")[0]) == ("validation_error", "expires_at")


async def test_expiry_with_an_offset_is_stored_in_utc(user_client: ApiClient) -> None:
    response = await user_client.post(
        "/api/v1/keys", json={"name": "x", "expires_at": "2031-06-01T12:00:00+02:00"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["expires_at"].startswith("2031-06-01T10:00:00")


@pytest.mark.parametrize(
    "field",
    [{"rpm": True}, {"rpm": 1.5}, {"rpm": "60"}, {"tpm": False}, {"rpm": 10**30}],
)
async def test_limits_must_be_json_integers_in_range(
    user_client: ApiClient, field: dict[str, Any]
) -> None:
    response = await user_client.post("/api/v1/keys", json={"name": "x", **field})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("budget", ["1e-999999", "0.000000001", 1e-300, True, -1, "NaN"])
async def test_budgets_are_refused_rather_than_rounded_away(
    user_client: ApiClient, budget: Any
) -> None:
    response = await user_client.post(
        "/api/v1/keys", json={"name": "x", "daily_budget_usd": budget}
    )
    assert response.status_code == 422, response.text


async def test_a_budget_with_8_decimals_is_kept_exactly(user_client: ApiClient) -> None:
    response = await user_client.post(
        "/api/v1/keys", json={"name": "x", "daily_budget_usd": "0.00000001"}
    )
    listed = await user_client.get("/api/v1/keys")
    assert response.status_code == 201, response.text
    assert Decimal(listed.json()[0]["daily_budget_usd"]) == Decimal("0.00000001")
