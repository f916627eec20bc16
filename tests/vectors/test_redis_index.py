"""What only the Redis index does: it makes its FT index itself, versions it, drops stale ones,
and refuses a Redis without the query engine (no silent fallback)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from lockgate.vectors.base import NO_EXPIRY, Record
from lockgate.vectors.errors import VectorStoreUnavailable
from lockgate.vectors.redis import KEY_GRACE_SECONDS, RedisIndex, index_name
from tests.fixtures.fake_time import until
from tests.vectors.fakes import text_vector

NOW = 2_000_000_000.0


@pytest.fixture
async def client(redis_search_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_search_url)
    yield client
    await client.aclose()


def make(client: Redis, *, embedder: str = "model-a", dimension: int = 8) -> RedisIndex:
    return RedisIndex(
        client, embedder=embedder, dimension=dimension, clock=lambda: NOW, owns_client=False
    )


async def indexes(client: Redis) -> set[str]:
    names = await client.execute_command("FT._LIST")  # type: ignore[no-untyped-call]
    return {name.decode() for name in names}


async def test_the_index_is_created_on_an_empty_redis_and_found_on_restart(client: Redis) -> None:
    assert await indexes(client) == set()
    first = make(client)
    assert await first.ensure_ready() == []
    assert await indexes(client) == {first.name}
    await first.add([Record("a", text_vector("a", 8), {"t": "x"}, NOW + 60)])
    second = make(client)  # a restart, or another replica
    assert await second.ensure_ready() == []
    assert await indexes(client) == {first.name}
    found = await second.search(text_vector("a", 8), tags={"t": "x"}, k=1, now=NOW)
    assert [m.id for m in found] == ["a"]


async def test_a_new_model_gets_a_new_index_and_the_stale_one_goes_with_its_keys(
    client: Redis,
) -> None:
    old = make(client, embedder="model-a", dimension=8)
    await old.ensure_ready()
    await old.add([Record(f"r{i}", text_vector(str(i), 8), {"t": "x"}, NOW + 60) for i in range(5)])
    new = make(client, embedder="model-b", dimension=16)
    assert await new.ensure_ready() == [old.name]
    assert await indexes(client) == {new.name}
    assert await client.keys(f"{old.prefix}*") == []


async def test_the_index_name_carries_schema_model_and_dimension() -> None:
    name = index_name("cache", "all-MiniLM-L6-v2/onnx-int8-8199be6f", 384)
    assert name.startswith("lockgate:cache:v1:all-minilm-l6-v2-onnx-int8-8199be6f-")
    assert name.endswith(":384")
    assert index_name("cache", "A/B", 384) != index_name("cache", "a-b", 384)


async def test_other_namespaces_are_left_alone(client: Redis) -> None:
    docs = RedisIndex(client, embedder="m", dimension=8, namespace="docs", owns_client=False)
    await docs.ensure_ready()
    cache = make(client, embedder="other")
    assert await cache.ensure_ready() == []
    assert await indexes(client) == {docs.name, cache.name}


async def test_keys_carry_a_redis_expiry_past_the_record_s(client: Redis) -> None:
    index = make(client)
    await index.ensure_ready()
    await index.add(
        [
            Record("a", text_vector("a", 8), {"t": "x"}, NOW + 100),
            Record("gone", text_vector("b", 8), {"t": "x"}, NOW - 1),  # already expired
        ]
    )
    ttl = await client.ttl(f"{index.prefix}a")
    assert 100 < ttl <= 100 + 60
    assert not await client.exists(f"{index.prefix}gone")


async def test_a_redis_without_the_query_engine_is_refused_with_what_to_run(
    redis_url: str,
) -> None:
    index = RedisIndex(Redis.from_url(redis_url), embedder="m", dimension=8)
    try:
        with pytest.raises(VectorStoreUnavailable, match=r"no query engine.*redis:8.*README"):
            await index.ensure_ready()
    finally:
        await index.close()


async def test_an_unreachable_redis_is_a_clear_error() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    index = RedisIndex(client, embedder="m", dimension=8)
    try:
        with pytest.raises(VectorStoreUnavailable, match="cannot be reached"):
            await index.ensure_ready()
    finally:
        await index.close()


async def test_a_dropped_index_is_created_again_over_the_keys_still_there(client: Redis) -> None:
    index = make(client)
    await index.ensure_ready()
    await index.add([Record("a", text_vector("a", 8), {"t": "x"}, NO_EXPIRY)])
    await client.execute_command("FT.DROPINDEX", index.name)  # type: ignore[no-untyped-call]

    async def found_again() -> bool:  # the server indexes existing keys in the background
        hits = await index.search(text_vector("a", 8), tags={"t": "x"}, k=1, now=NOW)
        return [m.id for m in hits] == ["a"]

    await until(found_again)
    assert await indexes(client) == {index.name}


async def test_records_that_never_expire_have_no_redis_expiry(client: Redis) -> None:
    """So a cache Redis run with `volatile-lru` evicts cached answers (which all expire) and
    never a search or document vector."""
    index = make(client)
    await index.ensure_ready()
    await index.add(
        [
            Record("kept", text_vector("kept", 8), {"t": "x"}, NO_EXPIRY),
            Record("cached", text_vector("cached", 8), {"t": "x"}, NOW + 60),
        ]
    )
    assert await client.ttl(f"{index.prefix}kept") == -1
    assert 60 < await client.ttl(f"{index.prefix}cached") <= 60 + KEY_GRACE_SECONDS


async def test_an_index_gone_from_the_server_is_created_again_on_use(client: Redis) -> None:
    index = make(client)
    await index.ensure_ready()
    await index.add([Record("a", text_vector("a", 8), {"t": "x"}, NO_EXPIRY)])
    await client.flushall()  # the cache Redis restarted without persistence
    assert await index.search(text_vector("a", 8), tags={"t": "x"}, k=1, now=NOW) == []
    assert await indexes(client) == {index.name}
    await index.add([Record("b", text_vector("b", 8), {"t": "x"}, NO_EXPIRY)])
    found = await index.search(text_vector("b", 8), tags={"t": "x"}, k=1, now=NOW)
    assert [m.id for m in found] == ["b"]
    assert await index.delete_where({"t": "x"}) == 1
