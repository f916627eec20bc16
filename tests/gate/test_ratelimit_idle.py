"""The default single-process setup (limits in memory) after a client has been idle for longer
than a window: issue 12 found a ``KeyError`` (500) there, because the global and per-IP limits
share one window length and forgetting one client's expired window dropped the other's key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.requests import HTTPConnection

from lockgate.clock import FakeClock
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, migrated_sqlite_url
from tests.fixtures.appkit import running_app as start_app

START = 1_900_000_000.0


def conn(peer: str, headers: dict[str, str] | None = None) -> HTTPConnection:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return HTTPConnection(
        {"type": "http", "path": "/api/x", "headers": raw, "client": (peer, 1), "state": {}}
    )


async def test_clients_sharing_windows_survive_an_idle_longer_than_the_window() -> None:
    now = [START]
    limiter = HttpRateLimiter(
        default="100/minute;1000/hour",
        endpoint_limits={"chat": "10/10 seconds;60/minute"},
        per_ip="600/minute;6000/hour",
        clock=lambda: now[0],
    )
    clients = [
        conn("198.51.100.1", {"Cookie": "lockgate_session=alice"}),
        conn("198.51.100.1", {"Authorization": "Bearer lg-key-1"}),
        conn("198.51.100.2", {"Cookie": "lockgate_session=bob"}),
        conn("198.51.100.2"),
    ]
    for idle in (0, 65, 11, 3601, 65):
        now[0] += idle
        for client in clients:
            assert await limiter.check(client) is not None
            assert await limiter.check(client, "chat") is not None
            assert await limiter.check(client, "chat", by="ip") is not None
    now[0] += 3601
    await limiter.check(clients[0])
    assert limiter.stored() == 4  # the others' windows were forgotten: memory stays bounded


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[tuple[object, AppState]]:
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path)
    async with start_app(config, clock) as pair:
        yield pair


@pytest.fixture
async def browser(app: tuple[object, AppState]) -> AsyncIterator[ApiClient]:
    async with api_client(app[0]) as client:  # type: ignore[arg-type]
        await client.register("alice@example.com")
        yield client


async def test_signed_in_browser_after_idle(browser: ApiClient, clock: FakeClock) -> None:
    assert (await browser.get("/api/v1/auth/me")).status_code == 200
    clock.advance(seconds=65)
    response = await browser.get("/api/v1/auth/me")
    assert response.status_code == 200, response.text


async def test_bearer_key_on_v1_models_after_idle(
    app: tuple[object, AppState], browser: ApiClient, clock: FakeClock
) -> None:
    created = await browser.post("/api/v1/keys", json={"name": "sdk", "rpm": 30})
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['key']}"}
    async with api_client(app[0], headers=headers) as sdk:  # type: ignore[arg-type]
        assert (await sdk.get("/v1/models")).status_code == 200
        clock.advance(seconds=65)
        assert (await browser.get("/api/v1/auth/me")).status_code == 200
        clock.advance(seconds=65)
        response = await sdk.get("/v1/models")
        assert response.status_code == 200, response.text
