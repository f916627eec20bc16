"""Exact nearest neighbours over tag partitions, in memory: the core of the embedded index.

Why brute force and not a graph (``bench/vectors.py`` has the figures): every query carries
selective tags (the cache: scope + model + conversation hash, a handful of records; document
search: one user's thousands). Intersecting the tags' posting sets first leaves few rows, and one
matrix product over them is exact, so a record with the query's tags is found even when a
thousand closer records carry other tags — the case where filtered HNSW loses recall.

Rows live in one growing ``float32`` matrix; a removed row goes to a free list and is reused.
Not thread-safe: the owner calls it from one thread (the event loop).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .base import Match, Record, Vector

_INITIAL_ROWS = 64


@dataclass(frozen=True, slots=True)
class Found:
    matches: list[Match]
    expired: list[str]
    """Ids of expired records met among the candidates: the owner purges them."""


class TaggedMatrix:
    """Unit vectors by id, with (key, value) posting sets and an expiry per row."""

    def __init__(self, dimension: int) -> None:
        if dimension < 1:
            raise ValueError(f"dimension must be >= 1, got {dimension}")
        self.dimension = dimension
        self._vectors = np.zeros((_INITIAL_ROWS, dimension), dtype=np.float32)
        self._expires = np.zeros(_INITIAL_ROWS, dtype=np.float64)
        self._used = np.zeros(_INITIAL_ROWS, dtype=np.bool_)
        self._ids: list[str | None] = [None] * _INITIAL_ROWS
        self._tags: list[tuple[tuple[str, str], ...]] = [()] * _INITIAL_ROWS
        self._row_of: dict[str, int] = {}
        self._postings: dict[tuple[str, str], set[int]] = {}
        self._free: list[int] = []
        self._end = 0  # rows at or past it were never used

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._row_of

    def put(self, record: Record) -> None:
        """Insert, or replace the record with the same id."""
        vector = np.asarray(record.vector, dtype=np.float32)
        if vector.shape != (self.dimension,):
            raise ValueError(f"vector of shape {vector.shape}, the index holds {self.dimension}")
        self.remove(record.id)
        row = self._free.pop() if self._free else self._next_row()
        self._vectors[row] = vector
        self._expires[row] = record.expires_at
        self._ids[row] = record.id
        self._used[row] = True
        pairs = tuple(sorted(record.tags.items()))
        self._tags[row] = pairs
        self._row_of[record.id] = row
        for pair in pairs:
            self._postings.setdefault(pair, set()).add(row)

    def remove(self, record_id: str) -> bool:
        row = self._row_of.pop(record_id, None)
        if row is None:
            return False
        for pair in self._tags[row]:
            rows = self._postings[pair]
            rows.discard(row)
            if not rows:
                del self._postings[pair]
        self._ids[row] = None
        self._used[row] = False
        self._tags[row] = ()
        self._free.append(row)
        return True

    def ids_where(self, tags: Mapping[str, str]) -> list[str]:
        return [self._id_at(row) for row in self._candidates(tags)]

    def expired(self, now: float) -> list[str]:
        end = self._end
        rows = np.flatnonzero(self._used[:end] & (self._expires[:end] <= now))
        return [self._id_at(row) for row in rows]

    def search(
        self, vector: Vector, *, tags: Mapping[str, str], k: int, now: float, min_similarity: float
    ) -> Found:
        if k < 1:
            return Found([], [])
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self.dimension,):
            raise ValueError(f"query of shape {query.shape}, the index holds {self.dimension}")
        rows = self._candidate_rows(tags)
        if rows.size == 0:
            return Found([], [])
        if rows.size * 4 > self._end:  # most rows: one product over the block, then pick
            similarities = (self._vectors[: self._end] @ query)[rows]
        else:
            similarities = self._vectors[rows] @ query
        alive = self._expires[rows] > now
        expired = [self._id_at(row) for row in rows[~alive]]
        keep = alive & (similarities >= min_similarity)
        rows, similarities = rows[keep], similarities[keep]
        if rows.size > k:
            top = np.argpartition(-similarities, k - 1)[:k]
            rows, similarities = rows[top], similarities[top]
        order = np.argsort(-similarities, kind="stable")
        matches = [Match(self._id_at(rows[i]), float(similarities[i])) for i in order]
        return Found(matches, expired)

    def _candidate_rows(self, tags: Mapping[str, str]) -> npt.NDArray[np.intp]:
        if not tags:
            return np.flatnonzero(self._used[: self._end])
        return np.fromiter(self._candidates(tags), dtype=np.intp)

    def _candidates(self, tags: Mapping[str, str]) -> Iterable[int]:
        if not tags:
            return list(self._row_of.values())
        sets = []
        for pair in tags.items():
            rows = self._postings.get(pair)
            if rows is None:
                return []
            sets.append(rows)
        sets.sort(key=len)
        return sorted(sets[0].intersection(*sets[1:]))

    def _id_at(self, row: int | np.intp) -> str:
        record_id = self._ids[row]
        assert record_id is not None, "a candidate row is always occupied"
        return record_id

    def _next_row(self) -> int:
        if self._end == len(self._ids):
            grown = len(self._ids) * 2
            extra = grown - self._end
            self._vectors = np.concatenate(
                [self._vectors, np.zeros((extra, self.dimension), np.float32)]
            )
            self._expires = np.concatenate([self._expires, np.zeros(extra, np.float64)])
            self._used = np.concatenate([self._used, np.zeros(extra, np.bool_)])
            self._ids.extend([None] * (grown - len(self._ids)))
            self._tags.extend([()] * (grown - len(self._tags)))
        row = self._end
        self._end += 1
        return row
