"""A Lockgate app with the response cache on, the official SDK as a `/v1` client, a browser-like
client for the web chat, and a count of the calls that reached the (simulated) provider."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import UsageRecord
from lockgate.providers.base import ChatRequest
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import (
    ApiClient,
    api_client,
    make_config,
    migrated_sqlite_url,
    parse_sse,
    running_app,
)

PRICE = {"input_per_mtok": "1000", "output_per_mtok": "2000"}
QUESTION = "What is the capital of France?"


def file_config(cache: dict[str, Any] | None = None, **extra: Any) -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {"sim": {"type": "simulated", "directives": True}},
            "models": {
                "sim-chat": {"provider": "sim", "price": PRICE},
                "sim-other": {"provider": "sim", "price": PRICE},
                "sim-embed": {"provider": "sim", "kind": "embedding", "price": PRICE},
            },
            "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
            "cache": {"enabled": True, "semantic": False, **(cache or {})},
            **extra,
        }
    )


@dataclass
class Calls:
    """The prompts that reached the provider, in order, and the gate's admissions."""

    prompts: list[str] = field(default_factory=list)
    admitted: int = 0


def count_calls(monkeypatch: pytest.MonkeyPatch, state: AppState) -> Calls:
    calls = Calls()
    provider = state.providers.get("sim")
    stream_chat = provider.stream_chat

    def tapped(request: ChatRequest) -> AsyncIterator[Any]:
        calls.prompts.append(request.messages[-1].content)
        return stream_chat(request)

    monkeypatch.setattr(provider, "stream_chat", tapped)
    admit = state.gate.admit

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.admitted += 1
        return await admit(*args, **kwargs)

    monkeypatch.setattr(state.gate, "admit", counted)
    return calls


@dataclass
class Tenant:
    web: ApiClient
    sdk: openai.AsyncOpenAI
    key_id: str
    user_id: str


@dataclass
class CacheWorld:
    state: AppState
    app: Any
    stack: AsyncExitStack
    calls: Calls
    clock: FakeClock

    async def tenant(self, email: str, **key: Any) -> Tenant:
        web = await self.stack.enter_async_context(api_client(self.app))
        user = await web.register(email)
        response = await web.post("/api/v1/keys", json={"name": "k", **key})
        assert response.status_code == 201, response.text
        created = response.json()
        http = await self.stack.enter_async_context(
            httpx2.AsyncClient(transport=httpx2.ASGITransport(app=self.app))
        )
        sdk = openai.AsyncOpenAI(
            base_url="http://testserver/v1", api_key=created["key"], http_client=http, max_retries=0
        )
        return Tenant(web, sdk, str(created["id"]), str(user["user"]["id"]))

    async def ledger(self) -> list[UsageRecord]:
        await self.state.usage_writer.flush()
        async with self.state.sessionmaker() as db:
            rows = await db.scalars(select(UsageRecord).order_by(UsageRecord.created_at))
            return list(rows.all())

    async def chat(
        self, web: ApiClient, content: str = QUESTION, conversation: str | None = None
    ) -> tuple[str, list[tuple[str, Any]]]:
        """Send a chat message (in a new conversation unless given): (conversation, events)."""
        if conversation is None:
            created = await web.post("/api/v1/conversations", json={})
            assert created.status_code == 201, created.text
            conversation = str(created.json()["id"])
        response = await web.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"content": content, "model": "sim-chat", "max_tokens": 30},
        )
        assert response.status_code == 200, response.text
        return conversation, parse_sse(response.text)

    def metric(self, name: str, **labels: str) -> float:
        value = self.state.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


async def open_world(
    stack: AsyncExitStack,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    *,
    file: FileConfig | None = None,
    database_url: str | None = None,
    provider_sleep: Any = None,
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> CacheWorld:
    url = database_url or await migrated_sqlite_url(tmp_path)
    config = make_config(url, tmp_path, file=file or file_config(), **settings)
    config = dataclasses.replace(config, environ=environ or {})
    extra = {"provider_sleep": provider_sleep} if provider_sleep is not None else {}
    app, state = await stack.enter_async_context(running_app(config, clock, **extra))
    return CacheWorld(state, app, stack, count_calls(monkeypatch, state), clock)


def ask(content: str = QUESTION, **params: Any) -> dict[str, Any]:
    return {
        "model": "sim-chat",
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 30,
        **params,
    }


def spent(rows: list[UsageRecord]) -> Decimal:
    return sum((r.cost_usd for r in rows), Decimal(0))
