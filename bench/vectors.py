"""Which vector index for the embedded store: measured, not guessed.

    python -m bench.vectors                 # 10k and 100k records, 384 dims (about 3 minutes)
    python -m bench.vectors --sizes 10000   # one size

The HNSW libraries and sqlite-vec are measured when installed (`pip install usearch hnswlib
sqlite-vec`; not dev dependencies: only this comparison uses them).

Contenders: exact search over tag partitions with numpy (`lockgate.vectors.matrix`, the core of
the embedded index), HNSW with usearch (no filter in its Python search: over-fetch, then filter)
and hnswlib (a filter callback inside the graph search), and sqlite-vec (a SQLite extension).

Data: unit vectors in clusters (as sentence embeddings are), queries near an existing record (as a
paraphrase is). Per size it prints, for each contender:

- build: adding every record (batched where the library batches), and one-at-a-time adds (the
  cache stores one answer at a time), p50 per record;
- unfiltered top-10: latency p50/p99 and recall@10 against exact search;
- cache-like filter (5 records per tag value, like one conversation context; top-1, as the cache
  asks) and document-like filter (2,000 per tag value, like one user's chunks; top-10): latency
  and recall against exact search under the same filter;
- foreign-closer: a record with the query's tag must be found when 1,000 closer records carry
  another tag (the pre-filter guarantee); "found" out of 20 trials.

Finally the embedded index itself (SQLite + the matrix) end to end: add and search latency.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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


@dataclass
class Row:
    name: str
    figures: dict[str, str]


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lat(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples):.3f}/{pct(samples, 0.99):.3f} ms"


def exact_top(vectors: Matrix, allowed: npt.NDArray[np.bool_], query: Matrix, k: int) -> set[int]:
    sims = vectors @ query
    sims[~allowed] = -np.inf
    top = np.argsort(-sims)[:k]
    return {int(i) for i in top if np.isfinite(sims[i])}


def measure(contender: Contender, n: int, rng: np.random.Generator) -> Row:
    vectors = clustered(n, rng)
    cache_tag = [f"c{i // 5}" for i in range(n)]
    rng.shuffle(cache_tag)
    user_tag = [f"u{i % max(1, n // 2000)}" for i in range(n)]
    tags = [{"ctx": c, "user": u} for c, u in zip(cache_tag, user_tag, strict=True)]
    began = time.perf_counter()
    contender.build(vectors, tags)
    build_s = time.perf_counter() - began
    extra = clustered(300, rng)
    adds = []
    for i, vector in enumerate(extra):
        t0 = time.perf_counter()
        contender.add_one(n + i, vector, {"ctx": f"x{i}", "user": "u0"})
        adds.append((time.perf_counter() - t0) * 1000)
    vectors = np.concatenate([vectors, extra])
    tags += [{"ctx": f"x{i}", "user": "u0"} for i in range(len(extra))]
    ctx = np.array([t["ctx"] for t in tags])
    usr = np.array([t["user"] for t in tags])
    picks = rng.integers(0, n, QUERIES)
    queries = near(vectors[picks], rng)
    figures = {"build": f"{build_s:.2f} s", "add one": f"{statistics.median(adds):.3f} ms"}
    everything = np.ones(len(vectors), dtype=np.bool_)
    filters: list[tuple[str, int, Callable[[int], dict[str, str]], Callable[[int], Any]]] = [
        ("unfiltered", K, lambda _p: {}, lambda _p: everything),
        ("cache filter", 1, lambda p: {"ctx": tags[p]["ctx"]}, lambda p: ctx == tags[p]["ctx"]),
        ("doc filter", K, lambda p: {"user": tags[p]["user"]}, lambda p: usr == tags[p]["user"]),
    ]
    for label, k, make_filter, allowed_of in filters:
        samples, hits, total = [], 0, 0
        for pick, query in zip(picks, queries, strict=True):
            wanted = make_filter(int(pick))
            began = time.perf_counter()
            got = contender.search(query, k, wanted)
            samples.append((time.perf_counter() - began) * 1000)
            truth = exact_top(vectors, allowed_of(int(pick)), query, k)
            hits += len(truth & set(got))
            total += len(truth)
        figures[label] = f"{lat(samples)} recall {hits / total:.3f}"
    figures["foreign-closer"] = foreign_closer(type(contender)(), rng)
    return Row(contender.name, figures)


def foreign_closer(contender: Contender, rng: np.random.Generator, trials: int = 20) -> str:
    """1,000 records close to the query tagged "b", one further record tagged "a"."""
    found = 0
    for _ in range(trials):
        base = clustered(5_000, rng)
        query = base[0]
        closer = near(np.repeat(query[None, :], 1_000, axis=0), rng, 0.01)
        target = near(query[None, :], rng, 0.2)
        vectors = np.concatenate([base[1:], closer, target])
        tags = [{"t": "bg"}] * (len(base) - 1) + [{"t": "b"}] * 1_000 + [{"t": "a"}]
        contender.build(vectors, tags)
        found += contender.search(query, 1, {"t": "a"}) == [len(vectors) - 1]
    return f"{found}/{trials} found"


async def embedded_end_to_end(n: int, rng: np.random.Generator) -> Row:
    from lockgate.vectors.embedded import EmbeddedIndex

    vectors = clustered(n, rng)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "vectors.sqlite3"
        index = await EmbeddedIndex.open(path, embedder="bench", dimension=DIM, now=0.0)
        began = time.perf_counter()
        batch = 1_000
        for start in range(0, n, batch):
            await index.add(
                [Record(f"r{i}", vectors[i], {"ctx": f"c{i // 5}"}, 1e12)
                 for i in range(start, min(n, start + batch))]
            )  # fmt: skip
        bulk_s = time.perf_counter() - began
        adds = []
        for i in range(200):
            t0 = time.perf_counter()
            await index.add([Record(f"x{i}", vectors[i], {"ctx": f"x{i}"}, 1e12)])
            adds.append((time.perf_counter() - t0) * 1000)
        searches = []
        for i in rng.integers(0, n, QUERIES):
            t0 = time.perf_counter()
            await index.search(vectors[i], tags={"ctx": f"c{i // 5}"}, k=1, now=1.0)
            searches.append((time.perf_counter() - t0) * 1000)
        await index.close()
        t0 = time.perf_counter()
        reopened = await EmbeddedIndex.open(path, embedder="bench", dimension=DIM, now=0.0)
        reopen_s = time.perf_counter() - t0
        await reopened.close()
    return Row(
        "lockgate EmbeddedIndex (SQLite + numpy)",
        {
            "bulk add (1k/batch)": f"{bulk_s:.2f} s",
            "add one (durable)": lat(adds),
            "cache search": lat(searches),
            "reopen": f"{reopen_s:.2f} s",
        },
    )


def say(*parts: object) -> None:
    """print, flushed: the progress shows even when the output goes to a file."""
    print(*parts, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    say(f"sqlite-vec: {sqlite_vec_status()}")
    contenders: list[Callable[[], Any]] = [Exact]
    for module, contender in (("usearch", USearch), ("hnswlib", HnswLib)):
        if importlib.util.find_spec(module) is None:
            say(f"{module}: not installed (`pip install {module}` to compare it)")
        else:
            contenders.append(contender)
    for n in args.sizes:
        say(f"\n== {n:,} records x {DIM} dims (latency p50/p99; recall@{K} vs exact)")
        for make in contenders:
            row = measure(make(), n, rng)
            say(f"{row.name}")
            for key, value in row.figures.items():
                say(f"    {key:<16} {value}")
        row = asyncio.run(embedded_end_to_end(n, rng))
        say(row.name)
        for key, value in row.figures.items():
            say(f"    {key:<20} {value}")


if __name__ == "__main__":
    main()
