"""The contenders of `bench.vectors` and the data they are measured on.

Exact search over tag partitions (`lockgate.vectors.matrix`), usearch and hnswlib HNSW, and whether
sqlite-vec can load here. Each is a thin adapter with the same three calls.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

import numpy as np
import numpy.typing as npt

from lockgate.vectors.base import Record
from lockgate.vectors.matrix import TaggedMatrix

DIM = 384
K = 10
QUERIES = 200
Matrix = npt.NDArray[np.float32]


def unit(rows: Matrix) -> Matrix:
    norms: Matrix = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.asarray(rows / norms, dtype=np.float32)


def clustered(n: int, rng: np.random.Generator, clusters: int = 500) -> Matrix:
    centres = unit(rng.standard_normal((clusters, DIM)).astype(np.float32))
    noise = rng.standard_normal((n, DIM)).astype(np.float32) * 0.06
    return unit(centres[rng.integers(0, clusters, n)] + noise)


def near(vectors: Matrix, rng: np.random.Generator, spread: float = 0.02) -> Matrix:
    return unit(vectors + rng.standard_normal(vectors.shape).astype(np.float32) * spread)


class Contender(Protocol):
    name: str

    def build(self, vectors: Matrix, tags: list[dict[str, str]]) -> None: ...
    def add_one(self, label: int, vector: Matrix, tags: dict[str, str]) -> None: ...
    def search(self, query: Matrix, k: int, tags: dict[str, str]) -> list[int]: ...


class Exact:
    """Numpy over tag partitions (lockgate.vectors.matrix)."""

    name = "numpy exact/partitions"

    def build(self, vectors: Matrix, tags: list[dict[str, str]]) -> None:
        self.matrix = TaggedMatrix(DIM)
        for label, (vector, tag) in enumerate(zip(vectors, tags, strict=True)):
            self.add_one(label, vector, tag)

    def add_one(self, label: int, vector: Matrix, tags: dict[str, str]) -> None:
        self.matrix.put(Record(str(label), vector, tags, expires_at=1e12))

    def search(self, query: Matrix, k: int, tags: dict[str, str]) -> list[int]:
        found = self.matrix.search(query, tags=tags, k=k, now=0.0, min_similarity=-1.0)
        return [int(m.id) for m in found.matches]


class USearch:
    """usearch HNSW (f32, cosine); its Python search has no filter: fetch `over` x k, filter."""

    name = "usearch hnsw (over-fetch 10x)"
    over = 10

    def build(self, vectors: Matrix, tags: list[dict[str, str]]) -> None:
        from usearch.index import Index

        self.index = Index(ndim=DIM, metric="cos", dtype="f32")
        self.tags = list(tags)
        self.index.add(np.arange(len(vectors)), vectors)

    def add_one(self, label: int, vector: Matrix, tags: dict[str, str]) -> None:
        self.tags.append(tags)
        self.index.add(label, vector)

    def search(self, query: Matrix, k: int, tags: dict[str, str]) -> list[int]:
        fetch = k * self.over if tags else k
        found = self.index.search(query, fetch)
        keys = [int(key) for key in found.keys]
        return [key for key in keys if _has(self.tags[key], tags)][:k]


class HnswLib:
    """hnswlib HNSW (M=16, ef_construction=100, ef=64), the tag test as its filter callback."""

    name = "hnswlib hnsw (filter callback)"

    def build(self, vectors: Matrix, tags: list[dict[str, str]]) -> None:
        import hnswlib

        self.index = hnswlib.Index(space="ip", dim=DIM)
        self.index.init_index(max_elements=len(vectors) + 2_000, M=16, ef_construction=100)
        self.index.set_num_threads(2)
        self.tags = list(tags)
        self.index.add_items(vectors, np.arange(len(vectors)))
        self.index.set_ef(64)

    def add_one(self, label: int, vector: Matrix, tags: dict[str, str]) -> None:
        self.tags.append(tags)
        self.index.add_items(vector[None, :], [label])

    def search(self, query: Matrix, k: int, tags: dict[str, str]) -> list[int]:
        own = self.tags

        def allowed(label: int) -> bool:
            return _has(own[label], tags)

        k = min(k, self.index.get_current_count())
        try:
            labels, _ = self.index.knn_query(query[None, :], k=k, filter=allowed if tags else None)
        except RuntimeError:  # "contiguous 2D array": fewer than k passed the filter
            return []
        return [int(label) for label in labels[0]]


def _has(record: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(record.get(key) == value for key, value in wanted.items())


def sqlite_vec_status() -> str:
    try:
        import sqlite_vec
    except ImportError:
        return "not installed"
    connection = sqlite3.connect(":memory:")
    try:
        connection.enable_load_extension(True)
        sqlite_vec.load(connection)
    except AttributeError:
        return "unusable: this Python's sqlite3 was built without extension loading"
    except sqlite3.Error as exc:
        return f"unusable: {exc}"
    finally:
        connection.close()
    return "loads (not measured here)"
