"""The labelled pairs the cache's threshold is chosen from, and the guarantee drawn from them.

The set (``bench/data/cache_pairs.jsonl``) is what `make bench-cache` sweeps; these tests keep it
well-formed, and check the promise the default stands on: at the default threshold, with the
guard, the local embedder serves no "different" pair. Also the benchmark's two other inputs: the
seeded workload and the rule that picks the threshold.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from bench.cache_measure import (
    DIFFERENT_CATEGORIES,
    PAIRS,
    SAFETY_MARGIN,
    SAME_CATEGORIES,
    Pair,
    choose,
    load_pairs,
)
from bench.cache_workload import questions, workload

from lockgate.cache.guard import compatible
from lockgate.settings import CACHE_THRESHOLD
from lockgate.vectors.local import LocalEmbedder

MIN_PAIRS = 300
MIN_PER_LABEL = 150


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return load_pairs()


def test_every_line_is_a_complete_pair() -> None:
    for number, line in enumerate(PAIRS.read_text(encoding="utf-8").splitlines(), start=1):
        row = json.loads(line)
        assert set(row) == {"a", "b", "label", "category"}, number
        assert row["label"] in ("same", "different"), number
        assert row["a"].strip(), number
        assert row["b"].strip(), number
        assert row["a"] != row["b"], number


def test_the_set_is_large_enough_on_both_sides(pairs: list[Pair]) -> None:
    labels = Counter(p.same for p in pairs)
    assert len(pairs) >= MIN_PAIRS
    assert labels[True] >= MIN_PER_LABEL
    assert labels[False] >= MIN_PER_LABEL


def test_no_pair_is_listed_twice(pairs: list[Pair]) -> None:
    seen = Counter(frozenset((p.a.casefold(), p.b.casefold())) for p in pairs)
    assert [sorted(k) for k, n in seen.items() if n > 1] == []


def test_categories_come_from_the_fixed_lists(pairs: list[Pair]) -> None:
    for p in pairs:
        allowed = SAME_CATEGORIES if p.same else DIFFERENT_CATEGORIES
        assert p.category in allowed, (p.category, p.a)
    used = {p.category for p in pairs}
    assert used == SAME_CATEGORIES | DIFFERENT_CATEGORIES  # every category has pairs


@pytest.fixture(scope="module")
async def embedder() -> AsyncIterator[LocalEmbedder]:
    embedder = LocalEmbedder()
    yield embedder
    await embedder.close()


@pytest.mark.slow
async def test_no_different_pair_is_served_at_the_default_threshold(
    pairs: list[Pair], embedder: LocalEmbedder
) -> None:
    """The guarantee: past the default threshold, every "different" pair is refused by the
    guard; and the threshold is not so high that the guard has nothing to do (some different
    pairs do score above it, so this test would notice a guard that stopped working)."""
    texts = sorted({t for p in pairs for t in (p.a, p.b)})
    vectors = dict(zip(texts, await embedder.embed(texts), strict=True))
    served, above = [], 0
    for p in pairs:
        if p.same:
            continue
        similarity = float(vectors[p.a] @ vectors[p.b])
        if similarity >= CACHE_THRESHOLD:
            above += 1
            if compatible(p.a, p.b):
                served.append((round(similarity, 3), p.a, p.b))
    assert served == []
    assert above >= 20


def test_the_workload_is_deterministic_and_every_question_has_its_own_answer() -> None:
    first = list(workload(requests=500, seed=3))
    again = list(workload(requests=500, seed=3))
    other = list(workload(requests=500, seed=4))
    pool = questions(3)
    assert first == again
    assert first != other
    assert len({q.answer for q in pool}) == len(pool) >= 200
    assert 0.05 < sum(r.one_off for r in first) / len(first) < 0.3


def test_the_chosen_threshold_is_the_margin_above_the_last_wrong_hit() -> None:
    rows = [
        {"threshold": 0.80, "wrong_hits_guarded": 2},
        {"threshold": 0.81, "wrong_hits_guarded": 1},
        {"threshold": 0.82, "wrong_hits_guarded": 0},
        {"threshold": 0.83, "wrong_hits_guarded": 0},
    ]
    assert choose(rows) == (0.82, round(0.82 + SAFETY_MARGIN, 2))
    assert choose([{"threshold": 0.99, "wrong_hits_guarded": 1}]) == (None, None)
