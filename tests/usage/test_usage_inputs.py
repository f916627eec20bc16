"""The usage report's dates: only YYYY-MM-DD in a bounded range; no 500 from date arithmetic."""

from __future__ import annotations

import pytest

from tests.fixtures.appkit import ApiClient


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=9999-12-30&end=9999-12-31", "start"),  # was OverflowError
        ("end=0001-01-05", "end"),  # end - 29 days: OverflowError
        ("end=0001-01-01", "end"),
        ("end=0", "end"),  # was read as 1970-01-01
        ("start=0&end=2030-01-01", "start"),
        ("end=20300101", "end"),
        ("end=2030-01-01T00:00:00", "end"),
        ("end=2030-02-30", "end"),
    ],
)
async def test_bad_dates_are_a_422_naming_the_parameter(
    user_client: ApiClient, query: str, field: str
) -> None:
    response = await user_client.get(f"/api/v1/usage?{query}")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"].split(":")[0]) == ("validation_error", field)


async def test_the_bounds_themselves_are_accepted(user_client: ApiClient) -> None:
    first = await user_client.get("/api/v1/usage?end=2000-01-01")
    last = await user_client.get("/api/v1/usage?start=9000-12-01&end=9000-12-31")
    assert (first.status_code, last.status_code) == (200, 200), (first.text, last.text)
