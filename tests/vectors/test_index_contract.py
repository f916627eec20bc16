"""The `VectorIndex` contract, run on both indexes: the embedded one (SQLite file + exact search)
and the Redis one (a real Redis 8.2 with RediSearch, FT HNSW)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
from redis.asyncio import Redis

from lockgate.vectors.base import Record, Vector, VectorIndex
from lockgate.vectors.embedded import EmbeddedIndex
from lockgate.vectors.redis import RedisIndex
from tests.vectors.fakes import text_vector

DIM = 16
NOW = 2_000_000_000.0  # an injected clock, far from the real one
LATER = NOW + 3_600


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


Opener = Callable[..., Awaitable[VectorIndex]]


@pytest.fixture(params=["embedded", "redis"])
async def open_index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens the index of the parametrised kind; opening again is a restart on the same data."""
    opened: list[VectorIndex] = []
    clock = Clock()

    async def open_embedded(*, dimension: int = DIM, embedder: str = "test") -> VectorIndex:
        index = await EmbeddedIndex.open(
            tmp_path / "vectors.sqlite3", embedder=embedder, dimension=dimension, now=clock.now
        )
        opened.append(index)
        return index

    async def open_redis(*, dimension: int = DIM, embedder: str = "test") -> VectorIndex:
        client = Redis.from_url(url)
        index = RedisIndex(client, embedder=embedder, dimension=dimension, clock=clock)
        await index.ensure_ready()
        opened.append(index)
        return index

    if request.param == "redis":
        url: str = request.getfixturevalue("redis_search_url")
        yield open_redis
    else:
        yield open_embedded
    for index in opened:
        await index.close()


def rec(record_id: str, vector: Vector, expires_at: float = LATER, **tags: str) -> Record:
    return Record(record_id, vector, tags, expires_at)


def unit(values: np.ndarray) -> Vector:
    return np.asarray(values / np.linalg.norm(values), dtype=np.float32)


def near(vector: Vector, spread: float, seed: int) -> Vector:
    noise = np.random.default_rng(seed).standard_normal(vector.shape).astype(np.float32)
    return unit(vector + noise * spread)


async def test_search_returns_the_k_nearest_best_first(open_index: Opener) -> None:
    index = await open_index()
    vectors = {f"r{i}": text_vector(f"r{i}", DIM) for i in range(30)}
    await index.add([rec(rid, v, t="x") for rid, v in vectors.items()])
    query = text_vector("query", DIM)
    matches = await index.search(query, tags={"t": "x"}, k=5, now=NOW)
    exact = sorted(vectors, key=lambda rid: -float(vectors[rid] @ query))[:5]
    assert [m.id for m in matches] == exact
    for match in matches:
        assert match.similarity == pytest.approx(float(vectors[match.id] @ query), abs=1e-4)


async def test_a_record_found_by_its_own_vector_has_similarity_one(open_index: Opener) -> None:
    index = await open_index()
    vector = text_vector("same", DIM)
    await index.add([rec("a", vector, t="x"), rec("b", text_vector("other", DIM), t="x")])
    (match,) = await index.search(vector, tags={"t": "x"}, k=1, now=NOW)
    assert match.id == "a"
    assert match.similarity == pytest.approx(1.0, abs=1e-4)


async def test_tags_are_prefilters_every_tag_must_equal(open_index: Opener) -> None:
    index = await open_index()
    query = text_vector("q", DIM)
    await index.add(
        [
            rec("closest-other-scope", query, scope="user:2", model="m"),
            rec("other-model", near(query, 0.1, 1), scope="user:1", model="n"),
            rec("mine", near(query, 0.5, 2), scope="user:1", model="m", extra="y"),
        ]
    )
    found = await index.search(query, tags={"scope": "user:1", "model": "m"}, k=5, now=NOW)
    assert [m.id for m in found] == ["mine"]  # a record's extra tags do not hide it
    assert await index.search(query, tags={"scope": "user:3"}, k=5, now=NOW) == []


async def test_the_best_own_record_is_found_behind_1000_closer_foreign_ones(
    open_index: Opener,
) -> None:
    dim = 64
    index = await open_index(dimension=dim, embedder="wide")
    query = text_vector("question", dim)
    foreign = [  # cosine ~0.98 to the query
        rec(f"f{i}", unit(query + 0.2 * text_vector(f"f{i}", dim)), scope="b") for i in range(1_000)
    ]
    background = [rec(f"g{i}", text_vector(f"g{i}", dim), scope="a") for i in range(50)]
    target = unit(query + 0.6 * text_vector("target", dim))  # ~0.86
    await index.add([*foreign, *background, rec("target", target, scope="a")])
    assert float(target @ query) < min(float(r.vector @ query) for r in foreign)
    (best,) = await index.search(query, tags={"scope": "a"}, k=1, now=NOW)
    assert best.id == "target"


async def test_tag_values_with_query_syntax_are_matched_literally(open_index: Opener) -> None:
    index = await open_index()
    vector = text_vector("v", DIM)
    odd = 'a {b} | c* -d @e:"f" \\ g, h'
    await index.add([rec("odd", vector, scope=odd), rec("plain", vector, scope="a")])
    found = await index.search(vector, tags={"scope": odd}, k=5, now=NOW)
    assert [m.id for m in found] == ["odd"]
    assert await index.search(vector, tags={"scope": "a {b}"}, k=5, now=NOW) == []


async def test_min_similarity_drops_weaker_matches(open_index: Opener) -> None:
    index = await open_index()
    query = text_vector("q", DIM)
    close, far = near(query, 0.05, 1), text_vector("unrelated", DIM)
    await index.add([rec("close", close, t="x"), rec("far", far, t="x")])
    found = await index.search(query, tags={"t": "x"}, k=5, now=NOW, min_similarity=0.9)
    assert [m.id for m in found] == ["close"]


async def test_expired_records_are_never_returned(open_index: Opener) -> None:
    index = await open_index()
    vector = text_vector("v", DIM)
    await index.add([rec("short", vector, NOW + 10, t="x"), rec("long", vector, NOW + 100, t="x")])
    assert {m.id for m in await index.search(vector, tags={"t": "x"}, k=5, now=NOW + 5)} == {
        "short",
        "long",
    }
    later = await index.search(vector, tags={"t": "x"}, k=5, now=NOW + 10)
    assert [m.id for m in later] == ["long"]
    assert await index.search(vector, tags={"t": "x"}, k=5, now=NOW + 100) == []


async def test_adding_an_id_again_replaces_the_record(open_index: Opener) -> None:
    index = await open_index()
    first, second = text_vector("1", DIM), text_vector("2", DIM)
    await index.add([rec("a", first, t="old")])
    await index.add([rec("a", second, t="new")])
    assert await index.search(first, tags={"t": "old"}, k=5, now=NOW) == []
    (match,) = await index.search(first, tags={"t": "new"}, k=5, now=NOW)
    assert match.similarity == pytest.approx(float(first @ second), abs=1e-4)


async def test_delete_removes_by_id(open_index: Opener) -> None:
    index = await open_index()
    vector = text_vector("v", DIM)
    await index.add([rec("a", vector, t="x"), rec("b", vector, t="x")])
    await index.delete(["a", "never-added"])
    assert [m.id for m in await index.search(vector, tags={"t": "x"}, k=5, now=NOW)] == ["b"]


async def test_delete_where_removes_every_record_with_the_tags(open_index: Opener) -> None:
    index = await open_index()
    vector = text_vector("v", DIM)
    await index.add(
        [rec(f"u1-{i}", vector, user="1", model="m") for i in range(700)]  # more than a page
        + [rec("u1-n", vector, user="1", model="n"), rec("u2", vector, user="2", model="m")]
    )
    assert await index.delete_where({"user": "1", "model": "m"}) == 700
    assert await index.delete_where({"user": "1", "model": "m"}) == 0
    left = await index.search(vector, tags={}, k=10, now=NOW)
    assert {m.id for m in left} == {"u1-n", "u2"}
    assert await index.delete_where({}) == 2


async def test_records_survive_a_restart(open_index: Opener) -> None:
    index = await open_index()
    vector = text_vector("v", DIM)
    await index.add([rec("kept", vector, t="x"), rec("gone", vector, t="x")])
    await index.delete(["gone"])
    await index.close()
    reopened = await open_index()
    found = await reopened.search(vector, tags={"t": "x"}, k=5, now=NOW)
    assert [m.id for m in found] == ["kept"]


async def test_another_dimension_starts_an_empty_index(open_index: Opener) -> None:
    index = await open_index()
    await index.add([rec("old", text_vector("v", DIM), t="x")])
    await index.close()
    wider = await open_index(dimension=DIM * 2)
    vector = text_vector("v", DIM * 2)
    assert await wider.search(vector, tags={"t": "x"}, k=5, now=NOW) == []
    await wider.add([rec("new", vector, t="x")])
    assert [m.id for m in await wider.search(vector, tags={"t": "x"}, k=5, now=NOW)] == ["new"]


async def test_a_vector_of_the_wrong_dimension_is_refused(open_index: Opener) -> None:
    index = await open_index()
    with pytest.raises(ValueError, match="dimension"):
        await index.add([rec("a", text_vector("v", DIM + 1), t="x")])
    with pytest.raises(ValueError, match="holds"):
        await index.search(text_vector("v", DIM + 1), tags={}, k=1, now=NOW)
