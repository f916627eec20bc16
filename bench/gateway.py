"""The gateway's cost end to end: real ``lockgate serve`` processes before a fast fake upstream.

Everything runs on 127.0.0.1. A fake OpenAI-format upstream (``bench/fake_upstream.py``, its own
process) answers chat completions, streamed or not; Lockgate runs as real processes in three
variants (1 worker, in-memory gate, SQLite; 1 worker, Redis gate, SQLite; 2 workers, Redis gate,
PostgreSQL); a user and a virtual key are created over the HTTP API; then for each variant, with
the upstream measured directly in the same minutes:

* load: ``wrk`` at concurrency 32, non-streaming and streaming: requests/s, p50/p99, the latency
  added (through minus direct), and Lockgate's CPU time per request (from /proc);
* sequential single client: N non-streaming requests, one at a time, alternating direct and
  through Lockgate (httpx, keep-alive): median and p99 of each, and the difference;
* time to first token for streams: N sequential streams, alternating the same way;
* peak RSS of the Lockgate process tree, sampled from /proc the whole time;

then the cache's hit path (``bench/cache_serve.py``: requests/s per worker when every answer is
cached), and a soak (``bench/soak.py``): RSS of a fresh 1-worker Lockgate after 10,000 requests
and after 100,000 (``--quick``: 1,000 and 10,000, labelled), within the time budget.

JSON with the machine's details goes to ``bench/results/gateway-<timestamp>.json``; a short table
with issue 16's targets, met or not, is printed. Bounded: every wait has a timeout, the soak stops
at the time budget, a hard alarm ends the run, and every process started is stopped.

    .venv/bin/python -m bench.gateway [--quick] [--variants 1w-memory,1w-redis,2w-redis-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.cache_serve import hit_path
from bench.harness import (
    BODY,
    CHAT,
    CONCURRENCY,
    RESULTS,
    STREAM_BODY,
    BenchError,
    Deadline,
    Lockgate,
    Upstream,
    auth,
    check_replies,
    create_key,
    find_load_tool,
    install_deadline,
    loadavg,
    machine,
    run_wrk,
    services,
    start_lockgate,
    start_upstream,
    tree_cpu,
)
from bench.soak import describe, soak
from tests.fixtures.procs import tmp_base

# Issue 16's targets, per gate store (the Redis gate is what replicas use).
TARGETS: dict[str, dict[str, float]] = {
    "memory": {"rps_per_worker": 2500.0, "added_p50_seq_ms": 0.4},
    "redis": {"rps_per_worker": 1700.0, "added_p50_seq_ms": 0.8},
}
TARGET_P99_OVER_P50 = 2.5
TARGET_ADDED_TTFT_P50_MS = 0.5
TARGET_RSS_MB = 150.0
TARGET_CACHE_HIT_RPS_PER_WORKER = 3000.0
CACHE_HIT_SECONDS = 60.0  # start-up with the local embedder, a miss, a hit, warm-up and the run
MB = 2**20


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    label: str
    workers: int
    redis: bool
    postgres: bool


VARIANTS = {
    v.name: v
    for v in (
        Variant("1w-memory", "1 worker, memory gate, SQLite", 1, redis=False, postgres=False),
        Variant("1w-redis", "1 worker, Redis gate, SQLite", 1, redis=True, postgres=False),
        Variant("2w-redis-pg", "2 workers, Redis gate, PostgreSQL", 2, redis=True, postgres=True),
    )
}


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    warmup_s: int
    duration_s: int  # wrk through Lockgate, non-streaming
    stream_duration_s: int  # wrk through Lockgate, streaming
    direct_duration_s: int  # wrk direct to the upstream, before each of the two
    sequential: int
    ttft: int
    soak_first: int
    soak_total: int
    time_budget_s: float  # for everything, the soak taking what is left


FULL = Profile("full", 3, 20, 8, 5, 500, 300, 10_000, 100_000, 500.0)
QUICK = Profile("quick", 1, 5, 2, 2, 100, 60, 1_000, 10_000, 140.0)


# --- sequential single client and time to first token ---------------------------------------------


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def ms_summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples) * 1000, 3),
        "p99_ms": round(pct(samples, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
        "n": len(samples),
    }


def added(through: dict[str, float], direct: dict[str, float]) -> dict[str, float]:
    return {
        "added_median_ms": round(through["median_ms"] - direct["median_ms"], 3),
        "added_p99_ms": round(through["p99_ms"] - direct["p99_ms"], 3),
    }


def sequential(upstream: Upstream, gate: Lockgate, count: int) -> dict[str, Any]:
    """`count` non-streaming requests each way, one at a time, alternating direct/through."""
    payload = json.dumps(BODY).encode()
    headers = {"content-type": "application/json"}
    samples: dict[str, list[float]] = {"direct": [], "through": []}
    targets = {
        "direct": (upstream.base + CHAT, headers),
        "through": (gate.base + CHAT, {**headers, **auth(gate.key)}),
    }
    warmup = 30
    failures = 0
    with httpx.Client(timeout=30) as client:
        for i in range(count + warmup):
            order = ("direct", "through") if i % 2 == 0 else ("through", "direct")
            for which in order:
                url, hdrs = targets[which]
                started = time.perf_counter()
                response = client.post(url, content=payload, headers=hdrs)
                response.read()
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    failures += 1
                elif i >= warmup:
                    samples[which].append(elapsed)
    if failures or not samples["through"]:
        raise BenchError(f"sequential run: {failures} failed requests")
    direct, through = ms_summary(samples["direct"]), ms_summary(samples["through"])
    return {"direct": direct, "through": through, **added(through, direct)}


async def one_stream(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    """Seconds until the first non-empty content delta; the rest is drained and checked."""
    first: float | None = None
    done = False
    started = time.perf_counter()
    async with client.stream("POST", url, json=STREAM_BODY, headers=headers) as response:
        if response.status_code != 200:
            raise BenchError(f"stream from {url}: HTTP {response.status_code}")
        async for line in response.aiter_lines():
            if first is None and line.startswith("data: {") and '"content":' in line:
                choices = json.loads(line[6:]).get("choices") or [{}]
                if choices[0].get("delta", {}).get("content"):
                    first = time.perf_counter() - started
            elif line == "data: [DONE]":
                done = True
    if first is None or not done:
        raise BenchError(f"stream from {url} had no content or no [DONE]")
    return first


async def ttft(upstream: Upstream, gate: Lockgate, count: int) -> dict[str, Any]:
    """Time to first token of `count` sequential streams each way, alternating direct/through."""
    samples: dict[str, list[float]] = {"direct": [], "through": []}
    targets = {
        "direct": (upstream.base + CHAT, {}),
        "through": (gate.base + CHAT, auth(gate.key)),
    }
    warmup = 10
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(count + warmup):
            order = ("direct", "through") if i % 2 == 0 else ("through", "direct")
            for which in order:
                url, headers = targets[which]
                elapsed = await one_stream(client, url, headers)
                if i >= warmup:
                    samples[which].append(elapsed)
    direct, through = ms_summary(samples["direct"]), ms_summary(samples["through"])
    return {"direct": direct, "through": through, **added(through, direct)}


def frames_per_stream(url: str, headers: Mapping[str, str]) -> int:
    """The SSE events of one stream (``[DONE]`` not counted): what "relayed chunks" counts."""
    with (
        httpx.Client(timeout=30) as client,
        client.stream("POST", url, json=STREAM_BODY, headers=headers) as response,
    ):
        if response.status_code != 200:
            raise BenchError(f"stream from {url}: HTTP {response.status_code}")
        lines = response.iter_lines()
        return sum(1 for line in lines if line.startswith("data: ") and line != "data: [DONE]")


# --- one variant ----------------------------------------------------------------------------------


def load_pair(
    gate: Lockgate,
    upstream: Upstream,
    wrk: str,
    workdir: Path,
    body: Mapping[str, Any],
    *,
    duration_s: int,
    direct_s: int,
) -> dict[str, Any]:
    """wrk direct to the upstream, then through Lockgate (with its CPU time); added p50/p99."""
    direct = run_wrk(wrk, upstream.base + CHAT, body, {}, duration_s=direct_s, workdir=workdir)
    cpu_before = tree_cpu(gate.proc.pid)
    through = run_wrk(
        wrk, gate.base + CHAT, body, auth(gate.key), duration_s=duration_s, workdir=workdir
    )
    cpu = tree_cpu(gate.proc.pid) - cpu_before
    through["cpu_s"] = round(cpu, 2)
    through["cpu_ms_per_request"] = (
        round(cpu * 1000 / through["requests"], 3) if through["requests"] else None
    )
    through["cores_busy"] = round(cpu / through["seconds"], 2) if through["seconds"] else None
    return {
        "direct": direct,
        "through": through,
        "added_p50_ms": round(through["p50_ms"] - direct["p50_ms"], 3),
        "added_p99_ms": round(through["p99_ms"] - direct["p99_ms"], 3),
        "rps_ratio": round(through["rps"] / direct["rps"], 4) if direct["rps"] else None,
        "rps_per_worker": round(through["rps"] / gate.workers, 1),
    }


def bench_variant(
    variant: Variant,
    profile: Profile,
    upstream: Upstream,
    wrk: str,
    workdir: Path,
    *,
    redis_url: str | None,
    pg_dsn: str | None,
) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        began = time.monotonic()
        gate = start_lockgate(
            variant.name, variant.workers, workdir / variant.name, upstream, stack,
            redis_url=redis_url, pg_dsn=pg_dsn,
        )  # fmt: skip
        gate.key = create_key(gate.base)
        check_replies(upstream, gate)
        frames = {
            "direct": frames_per_stream(upstream.base + CHAT, {}),
            "through": frames_per_stream(gate.base + CHAT, auth(gate.key)),
        }
        startup_s = round(time.monotonic() - began, 2)
        print(f"  {variant.name}: ready in {startup_s} s, measuring …", flush=True)
        gate.sampler.reset()
        idle_rss = gate.sampler.sample()
        run_wrk(  # warm-up: connection pools, lazy imports, caches
            wrk, gate.base + CHAT, BODY, auth(gate.key),
            duration_s=profile.warmup_s, workdir=workdir,
        )  # fmt: skip
        plain = load_pair(
            gate, upstream, wrk, workdir, BODY,
            duration_s=profile.duration_s, direct_s=profile.direct_duration_s,
        )  # fmt: skip
        stream = load_pair(
            gate, upstream, wrk, workdir, STREAM_BODY,
            duration_s=profile.stream_duration_s, direct_s=profile.direct_duration_s,
        )  # fmt: skip
        seq = sequential(upstream, gate, profile.sequential)
        first_token = asyncio.run(ttft(upstream, gate, profile.ttft))
        gate.sampler.sample()
        stream["frames_per_stream"] = frames
        stream["direct"]["chunks_per_s"] = round(stream["direct"]["rps"] * frames["direct"], 1)
        stream["chunks_per_s_per_worker"] = round(
            stream["through"]["rps"] * frames["through"] / variant.workers, 1
        )
        return {
            "variant": variant.name,
            "label": variant.label,
            "workers": variant.workers,
            "startup_s": startup_s,
            "non_streaming": plain,
            "streaming": stream,
            "sequential": seq,
            "ttft": first_token,
            "rss": {
                "idle_mb": round(idle_rss / MB, 1),
                "peak_mb": round(gate.sampler.peak / MB, 1),
                "processes": gate.sampler.peak_processes,
            },
        }


# --- report ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def pair(a: float, b: float) -> str:
    digits = 2 if max(abs(a), abs(b)) < 100 else 0
    return f"{a:.{digits}f}/{b:.{digits}f}"


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print()
    print(
        f"gateway benchmark ({report['profile']}) at concurrency {CONCURRENCY}: {m['cpus']} CPUs "
        f"{m['cpu_model']}, load average {report['loadavg_start'][0]} → "
        f"{report['loadavg_end'][0]} (other work shares this machine)"
    )
    print(
        f"{'':<12}{'req/s':>7}{'/worker':>8}{'p50/p99':>15}{'+p50/+p99':>15}{'CPU/req':>9}"
        f"{'strm/s':>8}{'+TTFT p50/99':>14}{'+seq p50/99':>14}{'RSS MB':>8}"
    )
    variants = report["variants"]
    if variants:
        d, ds = variants[0]["non_streaming"]["direct"], variants[0]["streaming"]["direct"]
        print(
            f"{'direct':<12}{d['rps']:>7.0f}{'':>8}{pair(d['p50_ms'], d['p99_ms']):>15}"
            f"{'':>24}{ds['rps']:>8.0f}"
        )
    for v in variants:
        p, s, t, q = v["non_streaming"], v["streaming"], v["ttft"], v["sequential"]
        th = p["through"]
        flag = "" if th["valid"] and s["through"]["valid"] else "  (errors! see JSON)"
        print(
            f"{v['variant']:<12}{th['rps']:>7.0f}{p['rps_per_worker']:>8.0f}"
            f"{pair(th['p50_ms'], th['p99_ms']):>15}"
            f"{pair(p['added_p50_ms'], p['added_p99_ms']):>15}"
            f"{th['cpu_ms_per_request'] or 0:>9.2f}{s['through']['rps']:>8.0f}"
            f"{pair(t['added_median_ms'], t['added_p99_ms']):>14}"
            f"{pair(q['added_median_ms'], q['added_p99_ms']):>14}{v['rss']['peak_mb']:>8.0f}{flag}"
        )
    print("(latencies in ms; + = through Lockgate minus direct, same run; CPU/req = ms of CPU)")
    print("targets (issue 16), met or not:")
    for v in variants:
        store = "memory" if "memory" in v["variant"] else "redis"
        target = TARGETS[store]
        seq = v["sequential"]["added_median_ms"]
        rps = v["non_streaming"]["rps_per_worker"]
        th = v["non_streaming"]["through"]
        tail = th["p99_ms"] / th["p50_ms"] if th["p50_ms"] else float("inf")
        first = v["ttft"]["added_median_ms"]
        rss = v["rss"]["peak_mb"] / v["workers"] if v.get("workers") else v["rss"]["peak_mb"]
        print(
            f"  {v['variant']:<12} req/s per worker {rps:,.0f} (≥ {target['rps_per_worker']:,.0f}:"
            f" {verdict(rps >= target['rps_per_worker'])}); added p50 sequential {seq:.2f} ms"
            f" (≤ {target['added_p50_seq_ms']}: {verdict(seq <= target['added_p50_seq_ms'])});"
            f" p99/p50 {tail:.1f} (≤ {TARGET_P99_OVER_P50}: {verdict(tail <= TARGET_P99_OVER_P50)})"
        )
        print(
            f"  {'':<12} added TTFT p50 {first:.2f} ms (≤ {TARGET_ADDED_TTFT_P50_MS}:"
            f" {verdict(first <= TARGET_ADDED_TTFT_P50_MS)}); relayed streams/s"
            f" {v['streaming']['through']['rps']:,.0f}, chunks/s per worker"
            f" {v['streaming']['chunks_per_s_per_worker']:,.0f}; peak RSS per worker {rss:.0f} MB"
            f" (≤ {TARGET_RSS_MB:.0f}: {verdict(rss <= TARGET_RSS_MB)})"
        )
    cache = report.get("cache_hit")
    if cache:
        if "hit" in cache:
            rps = cache["hit"]["rps_per_worker"]
            print(
                f"cache hit path, 1 worker: {rps:,.0f} req/s"
                f" (≥ {TARGET_CACHE_HIT_RPS_PER_WORKER:,.0f}:"
                f" {verdict(rps >= TARGET_CACHE_HIT_RPS_PER_WORKER)})"
            )
        else:
            print(f"cache hit path: skipped ({cache.get('skipped')})")
    result = report.get("soak")
    if result:
        scaled = " (--quick: scaled down)" if report["profile"] != "full" else ""
        print(f"soak, 1 worker{scaled}: {describe(result)}")


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 2 minutes, smaller soak")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated subset of {','.join(VARIANTS)}",
    )
    parser.add_argument("--no-soak", action="store_true", help="skip the soak")
    parser.add_argument(
        "--no-cache-hit", action="store_true", help="skip the cache's hit path (bench/cache_serve)"
    )
    parser.add_argument(
        "--time-budget", type=float, help="seconds for the whole run (default 500, quick 140)"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        help="where SQLite files and logs go (default: /dev/shm when roomy, else TMPDIR)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs)")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL
    if args.time_budget:
        profile = dataclasses.replace(profile, time_budget_s=args.time_budget)
    names = [name for name in args.variants.split(",") if name]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    chosen = [VARIANTS[name] for name in names]
    try:
        wrk = find_load_tool()
    except BenchError as exc:
        sys.exit(f"bench.gateway: {exc}")
    started = time.monotonic()
    deadline = started + profile.time_budget_s
    install_deadline(profile.time_budget_s + 240)  # hard stop, well after the planned end
    report: dict[str, Any] = {
        "benchmark": "gateway",
        "profile": profile.name,
        "when": datetime.now(UTC).isoformat(),
        "machine": machine(wrk),
        "loadavg_start": loadavg(),
        "concurrency": CONCURRENCY,
        "settings": dataclasses.asdict(profile),
        "targets": {
            "per_store": TARGETS,
            "p99_over_p50_at_most": TARGET_P99_OVER_P50,
            "added_ttft_p50_ms_at_most": TARGET_ADDED_TTFT_P50_MS,
            "rss_mb_per_worker_at_most": TARGET_RSS_MB,
            "cache_hit_rps_per_worker_at_least": TARGET_CACHE_HIT_RPS_PER_WORKER,
            "soak_rss_growth_at_most": 0.10,
        },
        "variants": [],
    }
    scratch = args.scratch or tmp_base(shared_with_other_user=False)
    workdir = Path(tempfile.mkdtemp(prefix="lockgate-bench-gateway-", dir=scratch))
    report["scratch_dir"] = str(scratch)
    try:
        with (
            contextlib.ExitStack() as stack,
            services(any(v.redis for v in chosen), any(v.postgres for v in chosen)) as (
                redis_url,
                pg_dsn,
            ),
        ):
            upstream = start_upstream(workdir, stack)
            print(f"gateway benchmark ({profile.name}): fake upstream on port {upstream.port}")
            for variant in chosen:
                result = bench_variant(
                    variant, profile, upstream, wrk, workdir,
                    redis_url=redis_url() if variant.redis else None,
                    pg_dsn=pg_dsn() if variant.postgres else None,
                )  # fmt: skip
                report["variants"].append(result)
            if not args.no_cache_hit and deadline - time.monotonic() < CACHE_HIT_SECONDS:
                report["cache_hit"] = {"skipped": "the time budget was spent (--time-budget)"}
            elif not args.no_cache_hit:
                print("  cache hit path: 1 worker, every answer cached …", flush=True)
                report["cache_hit"] = hit_path(
                    workdir / "cache-hit", threshold=None, duration_s=profile.duration_s
                )
            if not args.no_soak:
                hint = next(
                    (
                        v["non_streaming"]["through"]["rps"]
                        for v in report["variants"]
                        if v["variant"] == "1w-memory"
                    ),
                    100.0,
                )
                print(
                    f"  soak: up to {profile.soak_total:,} requests, "
                    f"{max(0, deadline - time.monotonic()):.0f} s left …",
                    flush=True,
                )
                report["soak"] = soak(
                    wrk, upstream, workdir,
                    first=profile.soak_first, total=profile.soak_total,
                    deadline=deadline, rps_hint=hint,
                )  # fmt: skip
                report["soak"]["scaled_down"] = profile.name != "full"
    except (BenchError, Deadline) as exc:
        # what was measured before is still reported (the summary says "no figure" for the rest)
        report["stopped"] = f"{type(exc).__name__}: {exc}"
    signal.alarm(0)
    if not args.keep and "stopped" not in report:
        shutil.rmtree(workdir, ignore_errors=True)
    report["loadavg_end"] = loadavg()
    report["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"gateway-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"written to {path} ({report['seconds']} s)")
    if "stopped" in report:
        sys.exit(f"bench.gateway: {report['stopped']}\n(logs kept in {workdir})")


if __name__ == "__main__":
    main()
