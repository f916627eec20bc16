"""``/v1/chat/completions`` with the response cache, through the official `openai` SDK: exact
hits replayed streamed and not, equal to the original answer; misses across tenants; the
request controls; TTL; what is never stored; money, limits and metrics on a hit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

from lockgate.clock import FakeClock
from lockgate.models import UsageOutcome
from tests.cache.kit import CacheWorld, Tenant, ask, file_config, open_world, spent


@pytest.fixture(params=["embedded", "redis"])
async def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[CacheWorld]:
    """The exact layer on each store: the SQLite file, the cache Redis (with the query engine)."""
    settings: dict[str, Any] = {}
    if request.param == "redis":
        settings = {
            "file": file_config({"store": "redis"}),
            "cache_redis_url": request.getfixturevalue("redis_search_url"),
        }
    async with AsyncExitStack() as stack:
        yield await open_world(stack, tmp_path, clock, monkeypatch, **settings)


async def complete(
    tenant: Tenant, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[str, str | None, dict[str, str]]:
    """(text, finish reason, response headers) of a non-streamed call."""
    raw = await tenant.sdk.chat.completions.with_raw_response.create(
        **body, extra_headers=headers or {}
    )
    reply = raw.parse()
    return reply.choices[0].message.content or "", reply.choices[0].finish_reason, dict(raw.headers)


async def streamed(
    tenant: Tenant, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[str, list[Any], dict[str, str]]:
    """(text, chunks, response headers) of a streamed call."""
    async with tenant.sdk.chat.completions.with_streaming_response.create(
        **body, stream=True, extra_headers=headers or {}
    ) as response:
        chunks = [chunk async for chunk in await response.parse()]
        head = dict(response.headers)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks, head


async def test_an_exact_repeat_is_a_hit_with_the_same_answer_and_no_provider_call(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com")
    first, finish, head = await complete(alice, ask())
    assert head["x-lockgate-cache"] == "miss"
    again, finish_again, head_again = await complete(alice, ask())
    assert head_again["x-lockgate-cache"] == "hit"
    assert "x-lockgate-cache-similarity" not in head_again  # an exact hit
    assert (again, finish_again) == (first, finish)
    assert len(world.calls.prompts) == 1


async def test_a_streamed_hit_replays_the_original_stream_through_the_sdk(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com")
    original, live_chunks, head = await streamed(alice, ask(stream_options={"include_usage": True}))
    assert head["x-lockgate-cache"] == "miss"
    text, chunks, head = await streamed(alice, ask(stream_options={"include_usage": True}))
    assert head["x-lockgate-cache"] == "hit"
    assert text == original
    assert len(world.calls.prompts) == 1
    # The same shapes as the live stream: the role first, the finish reason, the usage chunk.
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == [c.choices[0].finish_reason for c in live_chunks if c.choices][-1]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == live_chunks[-1].usage.completion_tokens
    # And the non-streamed shape of the same entry.
    whole, _, head = await complete(alice, ask())
    assert head["x-lockgate-cache"] == "hit"
    assert whole == original


async def test_no_usage_chunk_unless_asked(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await streamed(alice, ask())
    _, chunks, head = await streamed(alice, ask())
    assert head["x-lockgate-cache"] == "hit"
    assert all(c.usage is None for c in chunks)


async def test_two_users_and_two_keys_never_share_an_answer(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    await complete(alice, ask())
    _, _, head = await complete(bob, ask())
    assert head["x-lockgate-cache"] == "miss"
    # A second key of the same user is another owner on /v1 as well.
    response = await alice.web.post("/api/v1/keys", json={"name": "second"})
    other = Tenant(
        alice.web,
        openai.AsyncOpenAI(
            base_url="http://testserver/v1",
            api_key=response.json()["key"],
            http_client=alice.sdk._client,
            max_retries=0,
        ),
        response.json()["id"],
        alice.user_id,
    )
    _, _, head = await complete(other, ask())
    assert head["x-lockgate-cache"] == "miss"
    assert len(world.calls.prompts) == 3


async def test_anything_that_shapes_the_answer_is_part_of_the_key(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await complete(alice, ask())
    variants = [
        ask(max_tokens=31),
        ask(temperature=0),
        ask(seed=7),
        ask(stop=["."]),
        ask(top_p=0.5),
        ask(response_format={"type": "json_object"}),
        {**ask(), "model": "sim-other"},
        {**ask(), "messages": [{"role": "system", "content": "Be brief."}, *ask()["messages"]]},
    ]
    for body in variants:
        _, _, head = await complete(alice, body)
        assert head["x-lockgate-cache"] == "miss", body
    # Key order, an integral float and text parts do not change what is sent: the same key.
    same = {
        "max_tokens": 30.0,
        "messages": [{"content": [{"type": "text", "text": ask()["messages"][0]["content"]}],
                      "role": "user"}],
        "model": "sim-chat",
    }  # fmt: skip
    _, _, head = await complete(alice, same)
    assert head["x-lockgate-cache"] == "hit"


async def test_no_cache_skips_the_lookup_and_no_store_the_storing(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    _, _, head = await complete(alice, ask(), {"Cache-Control": "no-store"})
    assert head["x-lockgate-cache"] == "miss"
    _, _, head = await complete(alice, ask())
    assert head["x-lockgate-cache"] == "miss"  # nothing was stored; this one is
    _, _, head = await complete(alice, ask(), {"Cache-Control": "no-cache"})
    assert head["x-lockgate-cache"] == "bypass"
    _, _, head = await complete(alice, ask(), {"Cache-Control": "no-cache, no-store"})
    assert head["x-lockgate-cache"] == "bypass"
    _, _, head = await complete(alice, ask())
    assert head["x-lockgate-cache"] == "hit"
    assert len(world.calls.prompts) == 4


async def test_a_temperature_above_the_ceiling_is_neither_looked_up_nor_stored(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com")
    for _ in range(2):
        _, _, head = await complete(alice, ask(temperature=0.9))
        assert head["x-lockgate-cache"] == "bypass"
    assert len(world.calls.prompts) == 2
    await complete(alice, ask(temperature=0.5))  # at the ceiling: cached
    _, _, head = await complete(alice, ask(temperature=0.5))
    assert head["x-lockgate-cache"] == "hit"


async def test_an_entry_expires_after_its_ttl(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await complete(alice, ask())
    world.clock.advance(seconds=86_399)
    _, _, head = await complete(alice, ask())
    assert head["x-lockgate-cache"] == "hit"
    world.clock.advance(seconds=2)
    _, _, head = await complete(alice, ask())
    assert head["x-lockgate-cache"] == "miss"
    assert len(world.calls.prompts) == 2


@pytest.mark.parametrize("directive", ["[[fail:500]]", "[[fail:cut]]", "[[fail:timeout]]"])
async def test_a_failed_or_cut_answer_is_never_stored(world: CacheWorld, directive: str) -> None:
    alice = await world.tenant("alice@example.com")
    body = ask(f"{directive} Tell me a story")
    with pytest.raises(openai.APIStatusError):
        await complete(alice, body)
    with pytest.raises(openai.APIError):  # a 502, or an error chunk after the first tokens
        await streamed(alice, body)
    before = len(world.calls.prompts)
    with pytest.raises(openai.APIStatusError):
        await complete(alice, body)
    assert len(world.calls.prompts) > before  # asked upstream again: nothing was cached


async def test_a_hit_pays_nothing_and_writes_a_cache_hit_row_with_the_saving(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com", daily_budget_usd="10")
    await complete(alice, ask())
    paid = await world.ledger()
    assert [r.outcome for r in paid] == [UsageOutcome.OK]
    admitted = world.calls.admitted
    assert admitted == 1
    await complete(alice, ask())
    assert world.calls.admitted == admitted  # nothing reserved against any budget
    rows = await world.ledger()
    hit = rows[-1]
    assert hit.outcome == UsageOutcome.CACHE_HIT
    assert hit.cost_usd == 0
    assert hit.saved_usd == paid[0].cost_usd > 0
    assert str(hit.api_key_id) == alice.key_id
    assert spent(rows) == spent(paid)
    assert world.metric("lockgate_cache_saved_usd_total") == pytest.approx(float(paid[0].cost_usd))
    assert world.metric("lockgate_cache_requests_total", layer="exact", result="hit") == 1
    assert world.metric("lockgate_cache_requests_total", layer="exact", result="miss") == 1
    assert world.metric("lockgate_cache_lookup_seconds_count") == 2


@pytest.mark.parametrize("gate", ["memory", "redis"])
async def test_a_hit_still_counts_against_the_keys_request_rate(
    gate: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = {"redis_url": request.getfixturevalue("redis_url")} if gate == "redis" else {}
    async with AsyncExitStack() as stack:
        world = await open_world(stack, tmp_path, clock, monkeypatch, **settings)
        alice = await world.tenant("alice@example.com", rpm=2)
        await complete(alice, ask())
        _, _, head = await complete(alice, ask())
        assert head["x-lockgate-cache"] == "hit"
        with pytest.raises(openai.RateLimitError):
            await complete(alice, ask())
        clock.advance(seconds=61)
        _, _, head = await complete(alice, ask())
        assert head["x-lockgate-cache"] == "hit"


async def test_a_stricter_threshold_header_is_taken_a_malformed_one_refused(
    world: CacheWorld,
) -> None:
    alice = await world.tenant("alice@example.com")
    with pytest.raises(openai.BadRequestError) as refused:
        await complete(alice, ask(), {"x-lockgate-cache-threshold": "very"})
    assert refused.value.code == "invalid_cache_threshold"
    _, _, head = await complete(alice, ask(), {"x-lockgate-cache-threshold": "0.99"})
    assert head["x-lockgate-cache"] == "miss"


async def test_the_cache_off_is_no_header_and_no_lookup(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AsyncExitStack() as stack:
        world = await open_world(
            stack, tmp_path, clock, monkeypatch, file=file_config({"enabled": False})
        )
        alice = await world.tenant("alice@example.com")
        for _ in range(2):
            _, _, head = await complete(alice, ask())
            assert "x-lockgate-cache" not in head
        assert len(world.calls.prompts) == 2


async def test_the_usage_report_shows_the_spend_saved(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    for _ in range(3):
        await complete(alice, ask())
    paid = next(r for r in await world.ledger() if r.outcome == UsageOutcome.OK)
    report = (await alice.web.get("/api/v1/usage")).json()
    assert Decimal(report["saved_usd"]) == 2 * paid.cost_usd
    assert Decimal(report["total_cost_usd"]) == paid.cost_usd
    cached_row = next(r for r in report["rows"] if r["provider"] == "cache")
    assert (cached_row["model"], cached_row["requests"]) == ("sim-chat", 2)
    assert Decimal(cached_row["saved_usd"]) == 2 * paid.cost_usd
    assert Decimal(cached_row["cost_usd"]) == 0


async def test_a_global_scope_shares_answers_between_owners(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AsyncExitStack() as stack:
        world = await open_world(
            stack, tmp_path, clock, monkeypatch, file=file_config({"scope": "global"})
        )
        alice = await world.tenant("alice@example.com")
        bob = await world.tenant("bob@example.com")
        original, _, _ = await complete(alice, ask())
        text, _, head = await complete(bob, ask())
        assert head["x-lockgate-cache"] == "hit"
        assert text == original
        _, events = await world.chat(bob.web)  # the web chat shares the same answers
        assert events[-2][1]["cached"] is True
        assert len(world.calls.prompts) == 1
