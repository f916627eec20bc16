"""Reciprocal rank fusion: one ranking from the words list and the meaning list.

Scores of the two lists cannot be compared (a count of matched words, a cosine similarity), their
ranks can. Each list adds ``weight / (K + rank)`` for the items it holds (rank 1 is the best), so
an item high in both beats an item first in one only, and neither list's scale matters
(Cormack, Clarke & Büttcher, SIGIR 2009; K = 60 as there)::

    fuse({"words": ["a", "b"], "meaning": ["c", "a"]}, {"words": 1.0, "meaning": 0.9})
    # [("a", 0.0311…), ("b", 0.0161…), ("c", 0.0148…)]

The words list weighs a little more than the meaning list: at equal ranks, the message holding
the words that were typed comes before the one that only means something close; ties go to the
order of the first list given.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = 60

T = TypeVar("T", bound=Hashable)


def fuse(lists: Mapping[str, Sequence[T]], weights: Mapping[str, float]) -> list[tuple[T, float]]:
    """Items of every list, best fused score first."""
    scores: dict[T, float] = {}
    first_seen: dict[T, int] = {}
    for name, items in lists.items():
        weight = weights.get(name, 1.0)
        for rank, item in enumerate(items, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (K + rank)
            first_seen.setdefault(item, len(first_seen))
    return sorted(scores.items(), key=lambda pair: (-pair[1], first_seen[pair[0]]))
