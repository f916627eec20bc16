"""Every entry point that can spend money goes through the one call path, on both gate stores.

For each of chat send, regenerate, edit, a model-written title, web images, ``/v1`` chat
(streamed and not), ``/v1/messages`` (streamed and not), ``/v1`` responses (streamed and not),
``/v1`` embeddings and ``/v1`` images, against the memory gate and the Redis gate:

- a call is admitted (budget reserved) before the provider is called, and settled after it;
- the exact cost settled is the cost in the usage ledger, one row per provider attempt;
- a spent budget (the user's on the web, the key's on ``/v1``; a provider's for titles, whose
  refusal is only logged) refuses with ``budget_exceeded`` before any call, and records nothing;
- the breaker follows the one `is_unhealthy` rule: a 429 does not count, a 500, a timeout and a
  malformed response do; a 429's Retry-After paces the provider for the next call, whatever
  entry point made it.

Only the provider's side is faked: the `simulated` provider, with a tap that records each call
and can make it fail the way a real upstream does.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.gate import BudgetLimit, Gate, Ticket
from lockgate.models import UsageRecord
from lockgate.providers.base import ChatRequest, ImageRequest
from lockgate.providers.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
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

TARGET = "target"  # the provider every entry point under test calls
PRICE = {"input_per_mtok": "1000", "output_per_mtok": "2000", "per_image": "0.04"}
USER_BUDGET = Decimal("10")
KEY_BUDGET = Decimal("10")
Failure = Callable[[], ProviderError]
FAILURES: dict[str, tuple[Failure, bool]] = {
    # name: (the upstream's failure, does it count against the breaker)
    "429": (lambda: ProviderRateLimited("slow down", provider=TARGET, retry_after=30), False),
    "500": (lambda: ProviderUnavailable("HTTP 500", provider=TARGET, status=500), True),
    "timeout": (lambda: ProviderTimeout("read timeout", provider=TARGET), True),
    "malformed": (lambda: ProviderBadResponse("not JSON", provider=TARGET), True),
}


@dataclass
class Tap:
    """The order of gate and provider events for the target provider, and its failure mode."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    failure: Failure | None = None

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def settled(self) -> list[Any]:
        return [detail for name, detail in self.events if name == "settle"]


def install_tap(monkeypatch: pytest.MonkeyPatch, state: AppState) -> Tap:
    tap = Tap()
    provider = state.providers.get(TARGET)
    stream_chat, generate_images, embed = (
        provider.stream_chat,
        provider.generate_images,
        provider.embed,
    )

    def called() -> None:
        tap.events.append(("call", None))
        if tap.failure is not None:
            raise tap.failure()

    def tapped_stream(request: ChatRequest) -> AsyncIterator[Any]:
        async def events() -> AsyncIterator[Any]:
            called()
            async for event in stream_chat(request):
                yield event

        return events()

    async def tapped_images(request: ImageRequest) -> Any:
        called()
        return await generate_images(request)

    async def tapped_embed(model: str, inputs: Any) -> Any:
        called()
        return await embed(model, inputs)

    monkeypatch.setattr(provider, "stream_chat", tapped_stream)
    monkeypatch.setattr(provider, "generate_images", tapped_images)
    monkeypatch.setattr(provider, "embed", tapped_embed)

    admit = Gate.admit

    async def tapped_admit(gate: Gate, name: str, **kwargs: Any) -> Ticket:
        try:
            ticket = await admit(gate, name, **kwargs)
        except Exception as exc:
            if name == TARGET:
                tap.events.append(("refused", getattr(exc, "reason", getattr(exc, "code", ""))))
            raise
        if name == TARGET:
            tap.events.append(("admit", kwargs["upper_bound"]))
        return ticket

    def settle(verdict: str) -> Any:
        original = getattr(Ticket, verdict)

        async def tapped(ticket: Ticket, cost: Decimal, **kwargs: Any) -> None:
            if ticket.provider == TARGET:
                tap.events.append(("settle", (verdict, cost, kwargs.get("unhealthy"))))
            await original(ticket, cost, **kwargs)

        return tapped

    monkeypatch.setattr(Gate, "admit", tapped_admit)
    for verdict in ("succeeded", "failed", "abandoned"):
        monkeypatch.setattr(Ticket, verdict, settle(verdict))
    return tap


@dataclass
class World:
    state: AppState
    web: ApiClient
    sdk: openai.AsyncOpenAI
    claude: anthropic.AsyncAnthropic
    key_id: str
    user_id: str
    clock: FakeClock
    tap: Tap
    kept: dict[str, str] = field(default_factory=dict)


Call = Callable[[World], Awaitable[str | None]]
"""One paid call through an entry point; returns the refusal's error code, if refused."""


async def new_conversation(world: World) -> str:
    response = await world.web.post("/api/v1/conversations", json={})
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


def web_code(response: httpx.Response) -> str | None:
    if response.status_code >= 400:
        code: str = response.json()["error"]["code"]
        return code
    return None


async def chat_send(world: World) -> str | None:
    cid = await new_conversation(world)
    response = await world.web.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": "hello", "model": "target-chat", "max_tokens": 20},
    )
    return web_code(response)


async def regenerate(world: World) -> str | None:
    if "reply" not in world.kept:  # a reply to regenerate, from another provider, made once
        cid = await new_conversation(world)
        first = await world.web.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"content": "hello", "model": "base-chat", "max_tokens": 20},
        )
        world.kept["reply"] = parse_sse(first.text)[-1][1]["final"]["id"]
    response = await world.web.post(
        f"/api/v1/messages/{world.kept['reply']}/regenerate", json={"model": "target-chat"}
    )
    return web_code(response)


async def edit(world: World) -> str | None:
    if "question" not in world.kept:  # a message to edit, answered by another provider, once
        cid = await new_conversation(world)
        first = await world.web.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"content": "hello", "model": "base-chat", "max_tokens": 20},
        )
        world.kept["question"] = parse_sse(first.text)[0][1]["user_message"]["id"]
    response = await world.web.post(
        f"/api/v1/messages/{world.kept['question']}/edit",
        json={"content": "hello again", "model": "target-chat", "max_tokens": 20},
    )
    return web_code(response)


async def title(world: World) -> str | None:
    cid = await new_conversation(world)
    response = await world.web.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": "hello", "model": "base-chat", "max_tokens": 20},
    )
    assert response.status_code == 200, response.text
    assert world.state.chat is not None
    assert await world.state.chat.wait_idle(10)  # the title is a side task
    refused = [d for n, d in world.tap.events if n == "refused"]
    return str(refused[-1]) if refused else None


async def web_images(world: World) -> str | None:
    response = await world.web.post(
        "/api/v1/images", json={"prompt": "a fox", "model": "target-image", "n": 2}
    )
    return web_code(response)


async def sdk_call(call: Awaitable[Any]) -> str | None:
    try:
        await call
    except openai.APIStatusError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        return str(body.get("code"))
    return None


async def v1_chat(world: World) -> str | None:
    return await sdk_call(
        world.sdk.chat.completions.create(
            model="target-chat", messages=[{"role": "user", "content": "hello"}], max_tokens=20
        )
    )


async def v1_chat_streamed(world: World) -> str | None:
    async def streamed() -> None:
        stream = await world.sdk.chat.completions.create(
            model="target-chat",
            messages=[{"role": "user", "content": "hello"}],
            max_tokens=20,
            stream=True,
        )
        async for _ in stream:
            pass

    return await sdk_call(streamed())


async def claude_call(call: Awaitable[Any]) -> str | None:
    try:
        await call
    except anthropic.APIStatusError as exc:
        return exc.error_code
    return None


async def v1_messages(world: World) -> str | None:
    return await claude_call(
        world.claude.messages.create(
            model="target-chat", messages=[{"role": "user", "content": "hello"}], max_tokens=20
        )
    )


async def v1_messages_streamed(world: World) -> str | None:
    async def streamed() -> None:
        async with world.claude.messages.stream(
            model="target-chat", messages=[{"role": "user", "content": "hello"}], max_tokens=20
        ) as stream:
            await stream.until_done()

    return await claude_call(streamed())


async def v1_responses(world: World) -> str | None:
    return await sdk_call(
        world.sdk.responses.create(model="target-chat", input="hello", max_output_tokens=20)
    )


async def v1_responses_streamed(world: World) -> str | None:
    async def streamed() -> None:
        stream = await world.sdk.responses.create(
            model="target-chat", input="hello", max_output_tokens=20, stream=True
        )
        async for _ in stream:
            pass

    return await sdk_call(streamed())


async def v1_embeddings(world: World) -> str | None:
    return await sdk_call(world.sdk.embeddings.create(model="target-embed", input=["hello"]))


async def v1_images(world: World) -> str | None:
    return await sdk_call(world.sdk.images.generate(model="target-image", prompt="a fox", n=2))


ENTRY_POINTS: dict[str, Call] = {
    "chat_send": chat_send,
    "regenerate": regenerate,
    "edit": edit,
    "title": title,
    "web_images": web_images,
    "v1_chat": v1_chat,
    "v1_chat_streamed": v1_chat_streamed,
    "v1_messages": v1_messages,
    "v1_messages_streamed": v1_messages_streamed,
    "v1_responses": v1_responses,
    "v1_responses_streamed": v1_responses_streamed,
    "v1_embeddings": v1_embeddings,
    "v1_images": v1_images,
}


def file_config(entry: str) -> FileConfig:
    chat: dict[str, Any] = {}
    providers: dict[str, Any] = {}
    if entry == "title":  # refused on the provider's budget (the user's would refuse the reply)
        chat = {"title_mode": "model", "title_model": "target-chat"}
        providers = {TARGET: {"daily_usd": "100"}}
    return FileConfig.model_validate(
        {
            "providers": {
                TARGET: {"type": "simulated"},
                "base": {"type": "simulated", "seed": 3},
            },
            "models": {
                "target-chat": {"provider": TARGET, "price": PRICE},
                "base-chat": {"provider": "base", "price": PRICE},
                "target-image": {
                    "provider": TARGET,
                    "kind": "image",
                    "image_sizes": ["256x256"],
                    "price": PRICE,
                },
                "target-embed": {"provider": TARGET, "kind": "embedding", "price": PRICE},
            },
            "default_model": "base-chat",
            "chat": chat,
            "gate": {
                "breaker": {"consecutive_failures": 1, "min_calls": 100, "cooldown_seconds": 60},
                "budgets": {
                    "users": {"daily_usd": str(USER_BUDGET)},
                    "providers": providers,
                },
                "rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"},
            },
        }
    )


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> str | None:
    """The Redis URL for the Redis gate, or None for the memory gate."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


async def build(
    stack: AsyncExitStack,
    entry: str,
    redis: str | None,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    settings: dict[str, Any] = {"redis_url": redis} if redis else {}
    config = make_config(
        await migrated_sqlite_url(tmp_path), tmp_path, file=file_config(entry), **settings
    )
    app, state = await stack.enter_async_context(running_app(config, clock))
    web = await stack.enter_async_context(api_client(app))
    user = await web.register("payer@example.com")
    response = await web.post(
        "/api/v1/keys", json={"name": "k", "daily_budget_usd": str(KEY_BUDGET)}
    )
    assert response.status_code == 201, response.text
    key = response.json()
    http = await stack.enter_async_context(
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app))  # the SDK's own httpx
    )
    sdk = openai.AsyncOpenAI(
        base_url="http://testserver/v1", api_key=key["key"], http_client=http, max_retries=0
    )
    claude = anthropic.AsyncAnthropic(
        base_url="http://testserver", api_key=key["key"], http_client=http, max_retries=0
    )
    tap = install_tap(monkeypatch, state)
    return World(state, web, sdk, claude, str(key["id"]), str(user["user"]["id"]), clock, tap)


async def ledger(world: World) -> list[UsageRecord]:
    if world.state.usage_writer is not None:
        await world.state.usage_writer.flush()
    async with world.state.sessionmaker() as db:
        rows = await db.scalars(select(UsageRecord).where(UsageRecord.provider == TARGET))
        return list(rows.all())


async def breaker(world: World) -> str:
    health = (await world.web.get("/health/providers")).json()["providers"]
    state: str = next(p for p in health if p["name"] == TARGET)["breaker"]
    return state


async def spend_everything(world: World, entry: str) -> None:
    """Spend the budget the entry point is refused on, through the gate itself."""
    gate = world.state.gate
    if entry.startswith("v1_"):
        limits = [BudgetLimit(f"key:{world.key_id}:daily", KEY_BUDGET, "daily")]
        owner = None
    elif entry == "title":  # the reply is paid from the user's budget; the title from TARGET's
        limits, owner = [], None
    else:
        limits, owner = [], uuid.UUID(world.user_id)
    ticket = await gate.admit(
        TARGET, user_id=owner, upper_bound=Decimal("0.01"), tokens=0, extra_limits=limits
    )
    await ticket.succeeded(Decimal("1000"))


def rows_match_attempts(rows: list[UsageRecord], tap: Tap) -> None:
    """One usage row per provider attempt, and each attempt was admitted first, then settled."""
    calls = tap.names().count("call")
    assert calls >= 1
    assert len(rows) == calls
    sequence = [name for name in tap.names() if name != "refused"]
    assert sequence == ["admit", "call", "settle"] * calls


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
async def test_every_paid_entry_point_reserves_settles_refuses_and_trips_alike(
    entry: str,
    store: str | None,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = ENTRY_POINTS[entry]
    async with AsyncExitStack() as stack:
        world = await build(stack, entry, store, tmp_path, clock, monkeypatch)
        tap = world.tap

        # A paid call: reserved before, settled after, the settled cost is the ledger's.
        assert await call(world) is None
        rows = await ledger(world)
        rows_match_attempts(rows, tap)
        (verdict, settled, _), *_ = tap.settled()
        assert verdict == "succeeded"
        assert settled > 0
        assert abs(rows[0].cost_usd - settled) < Decimal("0.000001")
        assert tap.events[0][1] >= settled  # the reservation was an upper bound

        # The budget this caller pays from is spent: refused before any call, nothing recorded.
        await spend_everything(world, entry)
        tap.events.clear()
        before = len(await ledger(world))
        assert await call(world) == "budget_exceeded"
        assert "call" not in tap.names()
        assert len(await ledger(world)) == before
        clock.advance(days=1)  # a new day, a new budget

        # The breaker: a 429 does not count; a 500, a timeout, a malformed answer do.
        for name, (failure, unhealthy) in FAILURES.items():
            tap.events.clear()
            tap.failure = failure
            before = len(await ledger(world))
            await call(world)
            rows = (await ledger(world))[before:]
            rows_match_attempts(rows, tap)
            assert {r.error_code for r in rows} == {failure().code}
            assert tap.settled()[0][0] == "failed"
            assert tap.settled()[0][2] is unhealthy
            assert await breaker(world) == ("open" if unhealthy else "closed"), name
            if name == "429":  # its Retry-After paces the provider for every caller alike
                tap.events.clear()
                tap.failure = None
                assert await call(world) in ("provider_unavailable", "no_headroom")
                assert "call" not in tap.names()
            clock.advance(hours=1)  # past the cooldown (and any Retry-After block)
