"""The State: built once by the lifespan (HTTP limiter included), frozen, and torn down in one
order — live replies first, the database last — also when start-up fails halfway."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from lockgate.auth.login_limit import LoginLimiter
from lockgate.chat.leases import ReplyJanitor
from lockgate.chat.manager import ChatManager
from lockgate.clock import FakeClock
from lockgate.gate.events import BudgetWarnings
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.gate.service import Gate
from lockgate.keys.cache import RevocationListener
from lockgate.lifespan import build_state
from lockgate.observability.metrics import Metrics
from lockgate.providers.registry import ProviderRegistry
from lockgate.state import AppState
from lockgate.usage.writer import UsageWriter
from tests.fixtures.appkit import api_client, make_config, migrated_sqlite_url, running_app

CLOSERS: list[tuple[type[Any], str]] = [
    (ChatManager, "shutdown"),
    (ReplyJanitor, "aclose"),
    (UsageWriter, "aclose"),
    (RevocationListener, "aclose"),
    (Gate, "aclose"),
    (BudgetWarnings, "aclose"),
    (ProviderRegistry, "aclose"),
    (HttpRateLimiter, "aclose"),
    (LoginLimiter, "aclose"),
    (Redis, "aclose"),
    (AsyncEngine, "dispose"),
]


def record_closes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every teardown call, by class, in order (the real teardown still runs). Only the outer
    ones: the login limiter closing its own ``HttpRateLimiter`` is its business."""
    closed: list[str] = []
    depth = [0]

    def recording(cls: type[Any], name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        async def close(self: Any, *args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                closed.append(cls.__name__)
            depth[0] += 1
            try:
                return await original(self, *args, **kwargs)
            finally:
                depth[0] -= 1

        return close

    for cls, name in CLOSERS:
        monkeypatch.setattr(cls, name, recording(cls, name, getattr(cls, name)))
    return closed


async def test_the_state_is_frozen_and_holds_the_http_limiter(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path)
    async with running_app(config, clock) as (app, state), api_client(app) as client:
        assert (await client.get("/api/v1/auth/me")).status_code == 401
        # the middleware counted the request with the State's limiter, not one of its own
        assert state.http_limiter.stored() >= 1
        with pytest.raises(dataclasses.FrozenInstanceError):
            state.chat = state.chat  # type: ignore[misc]
    assert not any(field.name == "extras" for field in dataclasses.fields(AppState))


async def test_teardown_runs_in_order_from_replies_to_the_database(
    tmp_path: Path, clock: FakeClock, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path, redis_url=redis_url)
    closed = record_closes(monkeypatch)
    async with running_app(config, clock):
        assert closed == []
    assert closed == [cls.__name__ for cls, _ in CLOSERS]


async def test_a_failed_start_closes_what_was_already_open(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(self: ReplyJanitor) -> None:
        raise RuntimeError("the janitor cannot start")

    monkeypatch.setattr(ReplyJanitor, "start", refuse)
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path)
    closed = record_closes(monkeypatch)
    with pytest.raises(RuntimeError, match="janitor"):
        async with AsyncExitStack() as stack:
            await build_state(config, stack, clock=clock, metrics=Metrics())
    assert closed == [
        "UsageWriter",
        "Gate",
        "BudgetWarnings",
        "ProviderRegistry",
        "HttpRateLimiter",
        "LoginLimiter",
        "AsyncEngine",
    ]
