"""The entry stores' contract, on each real backend: the embedded SQLite file and a Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from redis.asyncio import Redis

from lockgate.cache.store.base import Entry, EntryStore, entry_id
from lockgate.cache.store.embedded import EmbeddedStore
from lockgate.cache.store.redis import RedisStore

NOW = 1_900_000_000.0


@pytest.fixture(params=["embedded", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EntryStore]:
    if request.param == "embedded":
        embedded = await EmbeddedStore.open(tmp_path / "cache" / "answers.db")
        yield embedded
        await embedded.close()
        return
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisStore(client)
    await client.aclose()


def entry(scope: str, model: str, key: str = "k" * 64, **changes: object) -> Entry:
    made = Entry(
        id=entry_id(scope, model, key),
        scope=scope,
        model=model,
        prompt="What is 2+2?",
        text="4.",
        finish_reason="stop",
        input_tokens=12,
        output_tokens=2,
        provider="sim",
        served_model=model,
        cost_usd=Decimal("0.00012345"),
        created_at=NOW,
        expires_at=NOW + 60,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


async def test_an_entry_reads_back_whole_until_it_expires(store: EntryStore) -> None:
    stored = entry("user:a", "m")
    await store.put(stored)
    assert await store.get(stored.id, NOW + 59) == stored
    assert await store.get(stored.id, NOW + 60) is None
    assert await store.get(entry_id("user:b", "m", "k" * 64), NOW) is None


async def test_a_new_answer_replaces_the_old_one(store: EntryStore) -> None:
    await store.put(entry("user:a", "m"))
    await store.put(entry("user:a", "m", text="Four."))
    found = await store.get(entry("user:a", "m").id, NOW)
    assert found is not None
    assert found.text == "Four."


async def test_purges_remove_exactly_what_they_name(store: EntryStore) -> None:
    entries = [
        entry(scope, model, key)
        for scope in ("user:a", "key:b", "global")
        for model in ("m1", "m2")
        for key in ("1" * 64, "2" * 64)
    ]
    for each in entries:
        await store.put(each)
    assert sorted(await store.purge(scope="user:a", model="m1")) == sorted(
        e.id for e in entries if e.scope == "user:a" and e.model == "m1"
    )
    assert len(await store.purge(model="m2")) == 6
    assert len(await store.purge_scopes(["key:b", "nobody"])) == 2
    left = [e for e in entries if await store.get(e.id, NOW) is not None]
    assert {(e.scope, e.model) for e in left} == {("global", "m1")}
    assert len(await store.purge()) == 2
    assert [e for e in entries if await store.get(e.id, NOW) is not None] == []
