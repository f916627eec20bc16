"""A 405 names every method the path serves in ``Allow`` (RFC 9110), not just one route's."""

from __future__ import annotations

import pytest

from tests.fixtures.appkit import ApiClient


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/conversations", {"GET", "HEAD", "POST"}),
        (
            "/api/v1/conversations/e3e70682-c209-1cac-a29f-6fbed82c07cd",
            {"GET", "HEAD", "PATCH", "DELETE"},
        ),
        ("/v1/chat/completions", {"POST"}),
    ],
)
async def test_a_405_allows_every_method_of_the_path(
    client: ApiClient, path: str, methods: set[str]
) -> None:
    response = await client.request("OPTIONS", path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == methods
