"""The ASGI header limit (HeaderLimitMiddleware) in the app, for servers other than
``lockgate serve`` (whose own protocol refuses earlier: tests/test_header_limits_process.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lockgate.clock import FakeClock
from lockgate.header_limits import HeaderLimits, HeadersTooLarge
from lockgate.settings import Settings
from tests.fixtures.appkit import ApiClient, api_client, make_config, migrated_sqlite_url
from tests.fixtures.appkit import running_app as start_app


@pytest.fixture
async def client(tmp_path: Path, clock: FakeClock) -> AsyncIterator[ApiClient]:
    config = make_config(
        await migrated_sqlite_url(tmp_path), tmp_path, max_headers=20, max_header_bytes=8192
    )
    async with start_app(config, clock) as (app, _), api_client(app) as c:
        yield c


def filler(count: int, size: int = 1) -> dict[str, Any]:
    return {f"x-filler-{i:03d}": "v" * size for i in range(count)}


async def test_too_many_headers_is_431_in_our_shape(client: ApiClient) -> None:
    response = await client.get("/health/live", headers=filler(30))
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "headers_too_large"
    assert response.headers["connection"] == "close"


async def test_too_large_headers_on_v1_is_431_in_openai_shape(client: ApiClient) -> None:
    response = await client.get("/v1/models", headers={"x-big": "a" * 10_000})
    assert response.status_code == 431
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["code"] == "headers_too_large"


async def test_headers_within_the_limits_pass(client: ApiClient) -> None:
    assert (await client.get("/health/live", headers=filler(10, 500))).status_code == 200


@pytest.mark.parametrize(("count", "size"), [(101, 1000), (100, 70_000)])
def test_default_limits(count: int, size: int) -> None:
    limits = HeaderLimits()
    with pytest.raises(HeadersTooLarge):
        limits.check(count, size)
    limits.check(100, 64 * 1024)


@pytest.mark.parametrize("settings", [{"max_headers": 5}, {"max_header_bytes": 100}])
def test_limits_too_small_to_serve_a_browser_are_refused(settings: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **settings)  # type: ignore[arg-type]


async def test_the_v1_fast_path_is_limited_too(client: ApiClient) -> None:
    response = await client.post(
        "/v1/chat/completions", json={"model": "sim-small", "messages": []}, headers=filler(30)
    )
    assert response.status_code == 431
