"""The response cache measured: which threshold, how much it saves, how fast a lookup is.

For each vector store (``embedded``: the SQLite-backed index in a scratch dir; ``redis``: a Redis
8.2 with RediSearch from the PyPI wheels, started here on a free loopback port and stopped):

1. **Threshold sweep** over the hand-labelled pairs (``bench/data/cache_pairs.jsonl``: paraphrases
   that should hit, adversarial near-duplicates that must not): each pair's similarity as the
   store computes it, then per threshold the hit rate on "same" and the wrong hits on
   "different", without and with the guard (``lockgate.cache.guard``). The chosen threshold is
   the lowest from which on no "different" pair gets past threshold and guard, plus a safety
   margin of 0.05 (a pair the set does not hold may score a little above the worst one it does;
   a miss costs one paid call, a wrong hit a wrong answer).
2. **Workload**: a seeded support-desk stream (``bench/cache_workload.py``) through exact and
   semantic lookups at the chosen threshold: spend saved (goal >= 30 %), wrong answers served
   (must be 0), lookup latency p50/p99 including the local embedding (goals: embedded < 5 ms,
   Redis < 10 ms).
3. **Hit path through a real server** (``bench/cache_serve.py``): ``lockgate serve`` (1 worker,
   cache on, a warm entry), wrk at c=32 non-streaming: requests/s per worker.

JSON goes to ``bench/results/cache-<timestamp>.json``. Bounded: a hard alarm ends the run, every
server started is stopped.

    .venv/bin/python -m bench.cache [--quick] [--stores embedded,redis] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cache_measure import (
    SAFETY_MARGIN,
    load_pairs,
    replay,
    store_similarities,
    sweep,
)
from bench.cache_workload import questions, workload
from bench.harness import RESULTS, BenchError, Deadline, install_deadline, loadavg, machine
from lockgate.vectors.base import VectorIndex
from lockgate.vectors.cached import CachedEmbedder
from lockgate.vectors.local import LocalEmbedder, default_threads
from tests.fixtures.procs import tmp_base

STORES = ("embedded", "redis")
GOAL_SAVED = 0.30
GOAL_P99_MS = {"embedded": 5.0, "redis": 10.0}


@contextlib.asynccontextmanager
async def open_store(
    store: str, scratch: Path, *, name: str, dimension: int, namespace: str
) -> AsyncIterator[VectorIndex]:
    """A fresh, empty index of the kind `store`, closed (and its server stopped) on exit."""
    if store == "embedded":
        from lockgate.vectors.embedded import EmbeddedIndex

        path = scratch / f"{namespace}.sqlite3"
        index = await EmbeddedIndex.open(path, embedder=name, dimension=dimension, now=time.time())
        try:
            yield index
        finally:
            await index.close()
        return
    from redis.asyncio import Redis

    from lockgate.vectors.redis import RedisIndex
    from tests.fixtures.redis import redis_search_server

    server = redis_search_server()
    server.start()
    try:
        redis_index = RedisIndex(
            Redis.from_url(server.url), embedder=name, dimension=dimension, namespace=namespace
        )
        await redis_index.ensure_ready()
        try:
            yield redis_index
        finally:
            await redis_index.close()
    finally:
        server.stop()


async def measure_store(
    store: str, scratch: Path, embedder: LocalEmbedder, requests: int, seed: int
) -> dict[str, Any]:
    pairs = load_pairs()
    texts = sorted({t for p in pairs for t in (p.a, p.b)})
    vectors = dict(zip(texts, await embedder.embed(texts), strict=True))
    now = time.time()
    name, dimension = embedder.name, embedder.dimension
    async with open_store(store, scratch, name=name, dimension=dimension, namespace="pairs") as ix:
        similarities = await store_similarities(ix, pairs, vectors, now)
    swept = sweep(pairs, similarities)
    threshold = swept["chosen"]
    if threshold is None:
        raise BenchError(f"{store}: no threshold gives 0 wrong hits on the labelled set")
    stream = list(workload(requests=requests, seed=seed))
    memo = CachedEmbedder(embedder)  # a fresh memo per store: each pays the same embeddings
    async with open_store(store, scratch, name=name, dimension=dimension, namespace="desk") as ix:
        started = time.monotonic()
        replayed = await replay(stream, memo, ix, threshold=threshold, now=now)
        seconds = time.monotonic() - started
    return {
        "store": store,
        "sweep": swept,
        "workload": {
            "threshold": threshold,
            "seed": seed,
            "distinct_questions": len(questions(seed)),
            "one_offs": sum(r.one_off for r in stream),
            "seconds": round(seconds, 1),
            **replayed.summary(),
        },
    }


# --- report ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_sweep(result: dict[str, Any]) -> None:
    s = result["sweep"]
    print(
        f"\n[{result['store']}] threshold sweep over {s['pairs']} labelled pairs "
        f"({s['same']} same, {s['different']} different); the guard alone refuses "
        f"{s['guard_refuses_same']} same and lets {s['guard_passes_different']} different pass"
    )
    print(f"{'threshold':>10}{'hit':>8}{'hit+guard':>11}{'wrong':>8}{'wrong+guard':>13}")
    for row in s["rows"]:
        if row["threshold"] * 100 % 5 and row["threshold"] not in (
            s["chosen"],
            s["lowest_zero_wrong_guarded"],
        ):
            continue
        mark = "  <- chosen" if row["threshold"] == s["chosen"] else ""
        if row["threshold"] == s["lowest_zero_wrong_guarded"]:
            mark = "  <- lowest with 0 wrong (guarded)"
        print(
            f"{row['threshold']:>10.2f}{row['hit_rate']:>8.1%}{row['hit_rate_guarded']:>11.1%}"
            f"{row['wrong_hits']:>8}{row['wrong_hits_guarded']:>13}{mark}"
        )
    print(
        f"  highest similarity of a 'different' pair: {s['max_similarity_different']:.3f}; "
        f"without the guard no threshold up to 0.99 is safe"
        if s["lowest_zero_wrong_unguarded"] is None
        else f"  without the guard 0 wrong hits from {s['lowest_zero_wrong_unguarded']:.2f}"
    )
    print(
        f"  chosen: {s['chosen']:.2f} = lowest with 0 wrong hits past the guard "
        f"({s['lowest_zero_wrong_guarded']:.2f}) + margin {SAFETY_MARGIN}"
    )


def print_workload(result: dict[str, Any]) -> None:
    w = result["workload"]
    store = result["store"]
    goal = GOAL_P99_MS[store]
    print(
        f"[{store}] workload: {w['requests']} requests ({w['distinct_questions']} questions, "
        f"{w['one_offs']} one-offs, seed {w['seed']}) at threshold {w['threshold']:.2f}: "
        f"hits {w['hit_rate']:.1%} (exact {w['exact_hits']}, semantic {w['semantic_hits']}; "
        f"guard refusals {w['guard_refusals']})"
    )
    print(
        f"  spend saved {w['spend_saved']:.1%} (goal >= {GOAL_SAVED:.0%}: "
        f"{verdict(w['spend_saved'] >= GOAL_SAVED)}); wrong answers {w['wrong_answers']} "
        f"(must be 0: {verdict(w['wrong_answers'] == 0)})"
    )
    look, sem, cpu = w["lookup"], w["semantic_lookup"], w["semantic_lookup_cpu"]
    print(
        f"  lookup p50/p99 {look['p50_ms']:.2f}/{look['p99_ms']:.2f} ms over all lookups; "
        f"{sem['p50_ms']:.2f}/{sem['p99_ms']:.2f} ms for the {sem['n']} that embed and search "
        f"(goal p99 < {goal:g} ms: {verdict(sem['p99_ms'] < goal)}); CPU per such lookup "
        f"p50/p99 {cpu['p50_ms']:.2f}/{cpu['p99_ms']:.2f} ms"
    )
    parts = w["parts"]
    print(
        "  of which p50/p99 (ms): "
        + "; ".join(
            f"{name} {parts[name]['p50_ms']:.2f}/{parts[name]['p99_ms']:.2f}"
            for name in ("embed", "search", "guard")
        )
    )


def print_serve(serve: dict[str, Any]) -> None:
    if "skipped" in serve:
        print(f"\nhit path through lockgate serve: not measured ({serve['skipped']})")
        return
    h = serve["hit"]
    print(
        f"\nhit path through lockgate serve (1 worker, c={serve['concurrency']}, non-streaming, "
        f"x-lockgate-cache: {serve['probe']}): {h['rps']:,.0f} req/s per worker, "
        f"p50/p99 {h['p50_ms']:.2f}/{h['p99_ms']:.2f} ms, errors {h['errors']}, "
        f"{h['cpu_ms_per_request']} ms CPU per request; upstream CPU meanwhile "
        f"{h['upstream_cpu_s']} s"
    )


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 requests, 5 s of wrk")
    parser.add_argument("--stores", default=",".join(STORES), help="embedded,redis")
    parser.add_argument("--requests", type=int, help="workload length (default 3000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--embed-threads", type=int, help="onnxruntime threads per embedding (default: Lockgate's)"
    )
    parser.add_argument("--no-serve", action="store_true", help="skip the lockgate serve run")
    parser.add_argument("--time-budget", type=float, default=900.0, help="hard stop, seconds")
    args = parser.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    unknown = [s for s in stores if s not in STORES]
    if unknown:
        parser.error(f"unknown stores {unknown}; choose from {', '.join(STORES)}")
    requests = args.requests or (1000 if args.quick else 3000)
    install_deadline(args.time_budget)
    wrk = shutil.which("wrk") or ""
    report: dict[str, Any] = {
        "benchmark": "cache",
        "when": datetime.now(UTC).isoformat(),
        "machine": machine(wrk) if wrk else {},
        "loadavg_start": loadavg(),
        "goals": {"spend_saved_at_least": GOAL_SAVED, "lookup_p99_ms_below": GOAL_P99_MS},
        "stores": [],
    }
    started = time.monotonic()
    scratch = Path(
        tempfile.mkdtemp(prefix="lockgate-bench-cache-", dir=tmp_base(shared_with_other_user=False))
    )
    try:
        report["stores"], report["serve"] = asyncio.run(
            run(
                stores,
                scratch,
                requests,
                args.seed,
                serve=not args.no_serve,
                quick=args.quick,
                threads=args.embed_threads,
            )
        )
    except (BenchError, Deadline) as exc:
        signal.alarm(0)
        sys.exit(f"bench.cache: {exc}\n(scratch kept in {scratch})")
    signal.alarm(0)
    shutil.rmtree(scratch, ignore_errors=True)
    report["loadavg_end"] = loadavg()
    report["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"cache-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(
        f"\nload average {report['loadavg_start'][0]} → {report['loadavg_end'][0]} (other work "
        f"shares this machine); written to {path} ({report['seconds']} s)"
    )


async def run(
    stores: list[str],
    scratch: Path,
    requests: int,
    seed: int,
    *,
    serve: bool,
    quick: bool,
    threads: int | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    embedder = LocalEmbedder(threads=threads)
    await embedder.warm_up()
    print(
        f"response cache benchmark: embedder {embedder.name} "
        f"({threads or default_threads()} inference threads), stores {', '.join(stores)}"
    )
    results = []
    for store in stores:
        result = await measure_store(store, scratch, embedder, requests, seed)
        print_sweep(result)
        print_workload(result)
        results.append(result)
    served: dict[str, Any] = {"skipped": "--no-serve"}
    if serve:
        threshold = results[0]["workload"]["threshold"] if results else None
        served = await asyncio.to_thread(_serve, scratch, threshold, quick)
    print_serve(served)
    return results, served


def _serve(scratch: Path, threshold: float | None, quick: bool) -> dict[str, Any]:
    """The hit path through ``lockgate serve``; skipped (and said so) when this build's server
    does not take a ``cache:`` section or serves no hit."""
    from bench.cache_serve import hit_path

    try:
        return hit_path(scratch / "serve", threshold=threshold, duration_s=5 if quick else 15)
    except BenchError as exc:
        return {"skipped": str(exc).strip().splitlines()[0][:300]}


if __name__ == "__main__":
    main()
