"""The semantic layer on both stores (the embedded index, the cache Redis with the query engine),
with the real local model: a paraphrase is a hit, a near-duplicate that asks something else is
not (the guard), nor a paraphrase in another context, scope or below the request's threshold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.models import UsageKind
from tests.cache.kit import CacheWorld, Tenant, ask, file_config, open_world
from tests.fixtures.appkit import migrated_sqlite_url

ASKED = "How do I reset my password?"
PARAPHRASE = "How can I reset my password?"  # cosine 0.991 with all-MiniLM-L6-v2


@pytest.fixture(params=["embedded", "redis"])
async def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[CacheWorld]:
    settings: dict[str, Any] = {}
    cache: dict[str, Any] = {"semantic": True}
    if request.param == "redis":
        settings["cache_redis_url"] = request.getfixturevalue("redis_search_url")
        cache["store"] = "redis"
    async with AsyncExitStack() as stack:
        yield await open_world(
            stack, tmp_path, clock, monkeypatch, file=file_config(cache), **settings
        )


async def call(
    tenant: Tenant, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    raw = await tenant.sdk.chat.completions.with_raw_response.create(
        **body, extra_headers=headers or {}
    )
    return raw.parse().choices[0].message.content or "", dict(raw.headers)


async def test_a_paraphrase_is_a_semantic_hit_with_its_similarity(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    original, head = await call(alice, ask(ASKED))
    assert head["x-lockgate-cache"] == "miss"
    text, head = await call(alice, ask(PARAPHRASE))
    assert head["x-lockgate-cache"] == "hit"
    assert float(head["x-lockgate-cache-similarity"]) >= 0.95
    assert text == original
    assert world.calls.prompts == [ASKED]
    assert world.metric("lockgate_cache_requests_total", layer="semantic", result="hit") == 1
    assert world.metric("lockgate_cache_requests_total", layer="semantic", result="miss") == 1


async def test_swapped_currencies_are_not_a_hit_despite_their_cosine(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await call(alice, ask("Convert 10 USD to EUR"))
    _, head = await call(alice, ask("Convert 10 EUR to USD"))  # cosine 0.978: the guard refuses
    assert head["x-lockgate-cache"] == "miss"
    assert len(world.calls.prompts) == 2


async def test_a_paraphrase_in_another_context_or_scope_is_a_miss(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    await call(alice, ask(ASKED))
    system = {"role": "system", "content": "Answer in French."}
    elsewhere = [
        (alice, {**ask(PARAPHRASE), "messages": [system, *ask(PARAPHRASE)["messages"]]}),
        (alice, ask(PARAPHRASE, max_tokens=40)),
        (alice, {**ask(PARAPHRASE), "model": "sim-other"}),
        (bob, ask(PARAPHRASE)),
    ]
    for tenant, body in elsewhere:
        _, head = await call(tenant, body)
        assert head["x-lockgate-cache"] == "miss", body


async def test_a_request_may_ask_for_a_stricter_threshold(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await call(alice, ask(ASKED))
    _, head = await call(alice, ask(PARAPHRASE), {"x-lockgate-cache-threshold": "1"})
    assert head["x-lockgate-cache"] == "miss"
    # A looser one is raised to the configured threshold: a far question stays a miss.
    _, head = await call(alice, ask("Where is my invoice?"), {"x-lockgate-cache-threshold": "0"})
    assert head["x-lockgate-cache"] == "miss"


async def test_a_purged_answer_is_no_semantic_hit_either(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await call(alice, ask(ASKED))
    assert (await alice.web.delete("/api/v1/cache")).json() == {"removed": 1}
    _, head = await call(alice, ask(PARAPHRASE))
    assert head["x-lockgate-cache"] == "miss"


async def test_an_expired_answer_is_no_semantic_hit(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await call(alice, ask(ASKED))
    world.clock.advance(seconds=86_401)
    _, head = await call(alice, ask(PARAPHRASE))
    assert head["x-lockgate-cache"] == "miss"


async def test_the_web_chat_gets_semantic_hits_too(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    await world.chat(alice.web, ASKED)
    _, events = await world.chat(alice.web, PARAPHRASE)
    assert events[-2][1]["cached"] is True
    assert world.calls.prompts == [ASKED]


async def test_the_index_is_made_on_an_empty_redis_and_kept_across_a_restart(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    redis_search_url: str,
) -> None:
    url = await migrated_sqlite_url(tmp_path)
    file = file_config({"semantic": True, "store": "redis"})
    async with AsyncExitStack() as stack:
        first = await open_world(
            stack, tmp_path, clock, monkeypatch, file=file, database_url=url,
            cache_redis_url=redis_search_url,
        )  # fmt: skip
        alice = await first.tenant("alice@example.com")
        original, _ = await call(alice, ask(ASKED))
        key = alice.sdk.api_key
    async with AsyncExitStack() as stack:
        again = await open_world(
            stack, tmp_path, clock, monkeypatch, file=file, database_url=url,
            cache_redis_url=redis_search_url,
        )  # fmt: skip
        bob = await again.tenant("bob@example.com")  # an SDK client of the new process
        alice = Tenant(bob.web, bob.sdk.with_options(api_key=key), "", "")
        text, head = await call(alice, ask(PARAPHRASE))
        assert head["x-lockgate-cache"] == "hit"
        assert text == original
        assert again.calls.prompts == []


async def test_a_configured_embedding_model_is_paid_through_the_gate_by_the_asker(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = file_config({"semantic": True, "embedding_model": "sim-embed"})
    async with AsyncExitStack() as stack:
        world = await open_world(stack, tmp_path, clock, monkeypatch, file=file)
        probe = [r for r in await world.ledger() if r.kind == UsageKind.EMBEDDING]
        assert [(r.user_id, r.cost_usd > 0) for r in probe] == [(None, True)]  # start-up
        alice = await world.tenant("alice@example.com")
        await call(alice, ask(ASKED))
        await call(alice, ask(ASKED))  # an exact hit embeds nothing
        await call(alice, ask(ASKED), {"Cache-Control": "no-cache"})  # embedded already: memo
        rows = [r for r in await world.ledger() if r.kind == UsageKind.EMBEDDING]
        assert len(rows) == 2
        assert str(rows[1].api_key_id) == alice.key_id
        assert str(rows[1].user_id) == alice.user_id
        assert rows[1].cost_usd > 0
