"""The embedding memo: counted on the wrapped embedder, a text is embedded once while remembered."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lockgate.vectors.cached import CachedEmbedder
from tests.vectors.fakes import CountingEmbedder, text_vector


async def test_a_repeated_text_is_embedded_once() -> None:
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner)
    first = await embedder.embed(["hello"])
    second = await embedder.embed(["hello"])
    assert inner.texts_embedded == ["hello"]
    np.testing.assert_array_equal(first[0], second[0])


async def test_only_unknown_texts_reach_the_model_in_one_call_in_order() -> None:
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner)
    await embedder.embed(["a"])
    vectors = await embedder.embed(["b", "a", "c", "b"])
    assert inner.calls == [["a"], ["b", "c"]]
    for vector, text in zip(vectors, ["b", "a", "c", "b"], strict=True):
        np.testing.assert_array_equal(vector, text_vector(text, inner.dimension))


async def test_concurrent_identical_texts_share_one_flight() -> None:
    inner = CountingEmbedder()
    inner.gate = asyncio.Event()
    embedder = CachedEmbedder(inner)
    tasks = [asyncio.create_task(embedder.embed(["same", f"own {i}"])) for i in range(5)]
    # One turn of the loop runs each task up to its wait (the lookup before it is synchronous).
    await asyncio.sleep(0)
    inner.gate.set()
    results = await asyncio.gather(*tasks)
    assert inner.texts_embedded.count("same") == 1
    assert sorted(inner.texts_embedded) == sorted(["same", *(f"own {i}" for i in range(5))])
    for same, _own in results:
        np.testing.assert_array_equal(same, results[0][0])


async def test_the_memo_is_bounded_least_recently_used_first() -> None:
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner, maxsize=2)
    await embedder.embed(["a"])
    await embedder.embed(["b"])
    await embedder.embed(["a"])  # a is now the most recent
    await embedder.embed(["c"])  # evicts b
    await embedder.embed(["a", "b"])
    assert inner.calls == [["a"], ["b"], ["c"], ["b"]]


async def test_a_failure_reaches_every_waiter_and_is_not_remembered() -> None:
    inner = CountingEmbedder()
    inner.gate = asyncio.Event()
    inner.fail_with = RuntimeError("provider down")
    embedder = CachedEmbedder(inner)
    tasks = [asyncio.create_task(embedder.embed(["q"])) for _ in range(3)]
    await asyncio.sleep(0)
    inner.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(inner.calls) == 1
    inner.fail_with = None
    await embedder.embed(["q"])
    assert len(inner.calls) == 2


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    inner = CountingEmbedder()
    inner.gate = asyncio.Event()
    embedder = CachedEmbedder(inner)
    first = asyncio.create_task(embedder.embed(["q"]))
    await asyncio.sleep(0)
    second = asyncio.create_task(embedder.embed(["q"]))
    await asyncio.sleep(0)
    first.cancel()
    inner.gate.set()
    (vector,) = await second
    np.testing.assert_array_equal(vector, text_vector("q", inner.dimension))
    assert first.cancelled()
    assert len(inner.calls) == 1
    await embedder.embed(["q"])  # and the computation was remembered
    assert len(inner.calls) == 1


async def test_remembered_vectors_are_read_only() -> None:
    embedder = CachedEmbedder(CountingEmbedder())
    (vector,) = await embedder.embed(["x"])
    with pytest.raises(ValueError, match="read-only"):
        vector[0] = 1.0


def test_name_and_dimension_are_the_inner_ones() -> None:
    embedder = CachedEmbedder(CountingEmbedder(5, name="m"))
    assert (embedder.name, embedder.dimension) == ("m", 5)
