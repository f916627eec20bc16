"""A 405 names every method the path serves in ``Allow`` (RFC 9110), not just one route's."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.appkit import ApiClient
from tests.test_web_ui import ui_app


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


async def test_a_405_from_the_web_ui_allows_get_and_head(tmp_path: Path) -> None:
    app = ui_app(tmp_path)  # the static UI raises a bare 405
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post("/")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD")
