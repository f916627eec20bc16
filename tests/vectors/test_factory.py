"""The factory the lifespan calls: each store comes back ready, or start-up fails clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from lockgate.vectors.base import Record
from lockgate.vectors.cached import CachedEmbedder
from lockgate.vectors.embedded import EmbeddedIndex
from lockgate.vectors.errors import VectorStoreUnavailable
from lockgate.vectors.factory import open_index, open_local_embedder
from lockgate.vectors.redis import RedisIndex
from tests.vectors.fakes import text_vector

NOW = 2_000_000_000.0


async def test_the_local_embedder_comes_loaded_behind_the_memo() -> None:
    embedder = await open_local_embedder(threads=1)
    assert isinstance(embedder, CachedEmbedder)
    assert (embedder.name, embedder.dimension) == ("all-MiniLM-L6-v2/onnx-int8-8199be6f", 384)
    first = await embedder.embed(["hello"])
    assert first[0].shape == (384,)


async def test_the_embedded_store_opens_its_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors" / "cache.sqlite3"
    index = await open_index("embedded", embedder="m", dimension=8, path=path, clock=lambda: NOW)
    try:
        assert isinstance(index, EmbeddedIndex)
        assert path.exists()
    finally:
        await index.close()


async def test_the_redis_store_comes_with_its_index(redis_search_url: str) -> None:
    index = await open_index(
        "redis", embedder="m", dimension=8, redis_url=redis_search_url, clock=lambda: NOW
    )
    try:
        assert isinstance(index, RedisIndex)
        await index.add([Record("a", text_vector("a", 8), {"t": "x"}, NOW + 60)])
        found = await index.search(text_vector("a", 8), tags={"t": "x"}, k=1, now=NOW)
        assert [m.id for m in found] == ["a"]
    finally:
        await index.close()
    async with Redis.from_url(redis_search_url) as client:
        names = await client.execute_command("FT._LIST")  # type: ignore[no-untyped-call]
        assert [n.decode() for n in names] == [index.name]


async def test_redis_without_a_url_or_the_engine_fails_start_up(redis_url: str) -> None:
    with pytest.raises(VectorStoreUnavailable, match="LOCKGATE_CACHE_REDIS_URL"):
        await open_index("redis", embedder="m", dimension=8)
    with pytest.raises(VectorStoreUnavailable, match="no query engine"):
        await open_index("redis", embedder="m", dimension=8, redis_url=redis_url)
