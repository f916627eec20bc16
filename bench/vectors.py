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
  another tag (the pre-filter guarantee); "found" out of 5 trials.

Finally the embedded index itself (SQLite + the matrix) end to end: add and search latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.vector_contenders import (
    DIM,
    QUERIES,
    Contender,
    Exact,
    HnswLib,
    K,
    Matrix,
    USearch,
    clustered,
    near,
    sqlite_vec_status,
)
from lockgate.vectors.base import Record


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
    sims = np.einsum("ij,j->i", vectors, query)
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


def foreign_closer(contender: Contender, rng: np.random.Generator, trials: int = 5) -> str:
    """1,000 records close to the query tagged "b", one further record tagged "a"."""
    found = 0
    for _ in range(trials):
        base = clustered(2_000, rng)
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


async def redis_end_to_end(n: int, rng: np.random.Generator, url: str) -> Row:
    """The Redis index (FT HNSW, hashed TAG pre-filters) on a local Redis 8.2 + RediSearch."""
    from redis.asyncio import Redis

    from lockgate.vectors.redis import RedisIndex

    vectors = clustered(n, rng)
    users = max(1, n // 2000)
    client = Redis.from_url(url)
    await client.flushall()
    index = RedisIndex(client, embedder="bench", dimension=DIM, clock=lambda: 0.0)
    await index.ensure_ready()
    began = time.perf_counter()
    for start in range(0, n, 1_000):
        await index.add(
            [Record(f"r{i}", vectors[i], {"ctx": f"c{i // 5}", "user": f"u{i % users}"}, 1e12)
             for i in range(start, min(n, start + 1_000))]
        )  # fmt: skip
    # (a hash written after FT.CREATE is indexed by the write itself: nothing to wait for)
    bulk_s = time.perf_counter() - began
    adds = []
    for i in range(200):
        t0 = time.perf_counter()
        await index.add([Record(f"x{i}", vectors[i], {"ctx": f"x{i}", "user": "u0"}, 1e12)])
        adds.append((time.perf_counter() - t0) * 1000)
    cache, docs, hits, total = [], [], 0, 0
    usr = np.array([f"u{i % users}" for i in range(n)])
    for i in rng.integers(0, n, QUERIES):
        query = near(vectors[i : i + 1], rng)[0]
        t0 = time.perf_counter()
        await index.search(query, tags={"ctx": f"c{i // 5}"}, k=1, now=1.0)
        cache.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        found = await index.search(query, tags={"user": f"u{i % users}"}, k=K, now=1.0)
        docs.append((time.perf_counter() - t0) * 1000)
        truth = exact_top(vectors, usr == f"u{i % users}", query, K)
        hits += len(truth & {int(m.id[1:]) for m in found if m.id.startswith("r")})
        total += len(truth)
    await client.flushall()  # drops the index too: made again, empty
    await index.ensure_ready()
    foreign = await redis_foreign_closer(index, rng)
    await index.close()
    return Row(
        "lockgate RedisIndex (FT HNSW + TAG pre-filter)",
        {
            "bulk add (1k/pipeline)": f"{bulk_s:.2f} s",
            "add one": lat(adds),
            "cache search": lat(cache),
            "doc search": f"{lat(docs)} recall {hits / total:.3f}",
            "foreign-closer": foreign,
        },
    )


async def redis_foreign_closer(index: Any, rng: np.random.Generator, trials: int = 5) -> str:
    found = 0
    for trial in range(trials):
        base = clustered(2_000, rng)
        query = base[0]
        closer = near(np.repeat(query[None, :], 1_000, axis=0), rng, 0.01)
        target = near(query[None, :], rng, 0.2)[0]
        records = [
            Record(f"t{trial}bg{i}", v, {"t": f"bg{trial}"}, 1e12) for i, v in enumerate(base[1:])
        ]
        records += [
            Record(f"t{trial}b{i}", v, {"t": f"b{trial}"}, 1e12) for i, v in enumerate(closer)
        ]
        records.append(Record(f"t{trial}target", target, {"t": f"a{trial}"}, 1e12))
        for start in range(0, len(records), 1_000):
            await index.add(records[start : start + 1_000])
        best = await index.search(query, tags={"t": f"a{trial}"}, k=1, now=1.0)
        found += [m.id for m in best] == [f"t{trial}target"]
    return f"{found}/{trials} found"


async def embedder_figures() -> Row:
    from lockgate.vectors.cached import CachedEmbedder
    from lockgate.vectors.local import LocalEmbedder

    local = LocalEmbedder()
    await local.warm_up()
    questions = [f"How do I reset the password of account number {i} on the billing page?"
                 for i in range(160)]  # fmt: skip
    single = []
    for text in questions[:100]:
        t0 = time.perf_counter()
        await local.embed([text])
        single.append((time.perf_counter() - t0) * 1000)
    batched = []
    for start in range(0, 160, 32):
        t0 = time.perf_counter()
        await local.embed(questions[start : start + 32])
        batched.append((time.perf_counter() - t0) * 1000 / 32)
    memo = CachedEmbedder(local)
    await memo.embed([questions[0]])
    hits = []
    for _ in range(1_000):
        t0 = time.perf_counter()
        await memo.embed([questions[0]])
        hits.append((time.perf_counter() - t0) * 1000)
    await local.close()
    return Row(
        f"local embedder {local.name} (threads {local._threads})",
        {
            "one text per call": lat(single),
            "batch of 32, per text": lat(batched),
            "memo hit": lat(hits),
        },
    )


def say(*parts: object) -> None:
    """print, flushed: the progress shows even when the output goes to a file."""
    print(*parts, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-libraries", action="store_true", help="skip usearch and hnswlib")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis index")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    say(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (figures scale with it)")
    show(asyncio.run(embedder_figures()))
    say(f"sqlite-vec: {sqlite_vec_status()}")
    contenders: list[Callable[[], Any]] = [Exact]
    for module, contender in (("usearch", USearch), ("hnswlib", HnswLib)):
        if args.no_libraries:
            continue
        if importlib.util.find_spec(module) is None:
            say(f"{module}: not installed (`pip install {module}` to compare it)")
        else:
            contenders.append(contender)
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: say(f"load average at the end {os.getloadavg()[0]:.1f}"))
        redis_url = None
        if not args.no_redis:
            from tests.fixtures.redis import redis_search_server

            redis_url = stack.enter_context(redis_search_server()).url
        for n in args.sizes:
            say(f"\n== {n:,} records x {DIM} dims (latency p50/p99; recall@{K} vs exact)")
            for make in contenders:
                show(measure(make(), n, rng))
            show(asyncio.run(embedded_end_to_end(n, rng)))
            if redis_url is not None:
                show(asyncio.run(redis_end_to_end(n, rng, redis_url)))


def show(row: Row) -> None:
    say(row.name)
    for key, value in row.figures.items():
        say(f"    {key:<22} {value}")


if __name__ == "__main__":
    main()
