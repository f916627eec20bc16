"""The response cache's two measurements on one vector store: the threshold sweep over the
labelled pairs, and the support-desk workload replayed through exact + semantic lookups.

Both go through the store itself (`lockgate.vectors`' `EmbeddedIndex` or `RedisIndex`), so a
similarity is the one that store computes, and a lookup's latency is the one a request pays:
the local embedding (with the embedding memo the cache uses), the KNN search under the context
tag, then the guard on each candidate, best first. The exact layer is what it is in the cache: a
dictionary lookup of the request's canonical text. Wall time depends on what else the machine
runs; the CPU time a lookup takes (this process, all its threads) much less, so both are kept.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.cache_workload import Request
from lockgate.cache.guard import compatible
from lockgate.vectors.base import Embedder, Record, Vector, VectorIndex

PAIRS = Path(__file__).parent / "data" / "cache_pairs.jsonl"
SAME_CATEGORIES = frozenset({"support", "coding", "knowledge", "math", "translation", "writing"})
DIFFERENT_CATEGORIES = frozenset(
    {"swap", "unit", "negation", "number", "date", "name", "product", "language", "question",
     "opposite"}
)  # fmt: skip
THRESHOLDS = tuple(round(0.70 + 0.01 * i, 2) for i in range(30))  # 0.70 … 0.99
SAFETY_MARGIN = 0.05
CANDIDATES = 4  # the semantic layer looks at the best few, the guard picks the first it accepts
TTL_S = 86_400.0
# what a request costs when it is paid: the model's prices (USD per million tokens), the system
# prompt in front of every question, and ~4 characters per token
PRICE_IN_PER_MTOK = 0.15
PRICE_OUT_PER_MTOK = 0.60
SYSTEM_PROMPT_TOKENS = 120


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    same: bool
    category: str


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pairs.append(Pair(row["a"], row["b"], row["label"] == "same", row["category"]))
    return pairs


# --- the threshold sweep --------------------------------------------------------------------------


async def store_similarities(
    index: VectorIndex, pairs: Sequence[Pair], vectors: dict[str, Vector], now: float
) -> list[float]:
    """For each pair: store ``b`` alone under its own tag, search with ``a``: the similarity
    this store reports (HNSW and float rounding included)."""
    await index.add(
        [
            Record(f"pair-{i}", vectors[p.b], {"pair": str(i)}, now + TTL_S)
            for i, p in enumerate(pairs)
        ]
    )
    similarities = []
    for i, p in enumerate(pairs):
        found = await index.search(vectors[p.a], tags={"pair": str(i)}, k=1, now=now)
        if len(found) != 1 or found[0].id != f"pair-{i}":
            raise RuntimeError(f"the store did not find pair {i} under its own tag: {found}")
        similarities.append(found[0].similarity)
    return similarities


def sweep(pairs: Sequence[Pair], similarities: Sequence[float]) -> dict[str, Any]:
    """Hit rate on "same" and wrong hits on "different", with and without the guard, per
    threshold; the chosen threshold (see `choose`)."""
    guard = [compatible(p.a, p.b) for p in pairs]
    same = [i for i, p in enumerate(pairs) if p.same]
    different = [i for i, p in enumerate(pairs) if not p.same]
    rows = []
    for t in THRESHOLDS:
        above = [s >= t for s in similarities]
        rows.append(
            {
                "threshold": t,
                "hit_rate": _share(sum(above[i] for i in same), len(same)),
                "hit_rate_guarded": _share(sum(above[i] and guard[i] for i in same), len(same)),
                "wrong_hits": sum(above[i] for i in different),
                "wrong_hits_guarded": sum(above[i] and guard[i] for i in different),
            }
        )
    lowest, chosen = choose(rows)
    unguarded_zero = next((r["threshold"] for r in rows if r["wrong_hits"] == 0), None)
    worst = sorted(
        ((similarities[i], pairs[i]) for i in different if guard[i]), key=lambda x: -x[0]
    )[:3]
    return {
        "pairs": len(pairs),
        "same": len(same),
        "different": len(different),
        "guard_refuses_same": sum(not guard[i] for i in same),
        "guard_passes_different": sum(guard[i] for i in different),
        "max_similarity_different": round(max(similarities[i] for i in different), 4),
        "lowest_zero_wrong_unguarded": unguarded_zero,
        "lowest_zero_wrong_guarded": lowest,
        "chosen": chosen,
        "at_chosen": next((r for r in rows if r["threshold"] == chosen), None),
        "closest_different_past_guard": [
            {"similarity": round(s, 4), "a": p.a, "b": p.b, "category": p.category}
            for s, p in worst
        ],
        "rows": rows,
    }


def choose(rows: Sequence[dict[str, Any]]) -> tuple[float | None, float | None]:
    """The lowest threshold from which on no "different" pair passes threshold and guard, then
    `SAFETY_MARGIN` above it (capped at the top of the sweep)."""
    lowest = None
    for row in reversed(rows):
        if row["wrong_hits_guarded"]:
            break
        lowest = row["threshold"]
    if lowest is None:
        return None, None
    return lowest, round(min(THRESHOLDS[-1], lowest + SAFETY_MARGIN), 2)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# --- the workload -----------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    text: str
    question: str


@dataclass(slots=True)
class Replay:
    """The running totals of one workload replay."""

    requests: int = 0
    exact_hits: int = 0
    semantic_hits: int = 0
    guard_refusals: int = 0  # candidates above the threshold the guard turned down
    wrong_answers: int = 0
    cost_usd: float = 0.0
    saved_usd: float = 0.0
    lookup_s: list[float] = field(default_factory=list)
    semantic_lookup_s: list[float] = field(default_factory=list)
    semantic_cpu_s: list[float] = field(default_factory=list)  # this process's CPU, all threads
    embed_s: list[float] = field(default_factory=list)  # parts of a semantic lookup: embedding,
    search_s: list[float] = field(default_factory=list)  # the KNN search,
    guard_s: list[float] = field(default_factory=list)  # the guard on the candidates
    wrong_examples: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        hits = self.exact_hits + self.semantic_hits
        return {
            "requests": self.requests,
            "hits": hits,
            "hit_rate": _share(hits, self.requests),
            "exact_hits": self.exact_hits,
            "semantic_hits": self.semantic_hits,
            "guard_refusals": self.guard_refusals,
            "wrong_answers": self.wrong_answers,
            "wrong_examples": self.wrong_examples[:5],
            "cost_without_cache_usd": round(self.cost_usd, 6),
            "saved_usd": round(self.saved_usd, 6),
            "spend_saved": _share(round(self.saved_usd * 1e9), round(self.cost_usd * 1e9)),
            "lookup": ms(self.lookup_s),
            "semantic_lookup": ms(self.semantic_lookup_s),
            "semantic_lookup_cpu": ms(self.semantic_cpu_s),
            "parts": {
                "embed": ms(self.embed_s),
                "search": ms(self.search_s),
                "guard": ms(self.guard_s),
            },
        }


def cost(request: Request) -> float:
    tokens_in = SYSTEM_PROMPT_TOKENS + len(request.text) // 4 + 1
    return (tokens_in * PRICE_IN_PER_MTOK + request.answer_tokens * PRICE_OUT_PER_MTOK) / 1e6


async def replay(
    stream: Sequence[Request],
    embedder: Embedder,
    index: VectorIndex,
    *,
    threshold: float,
    now: float,
) -> Replay:
    """Every request: exact lookup, else embed + KNN under the context tag + the guard; a miss
    is "paid" and stored in both layers, as the cache stores an answer."""
    tags = {"ctx": "support-desk-system-prompt-v1"}
    exact: dict[str, Entry] = {}
    entries: dict[str, Entry] = {}
    result = Replay()
    for n, request in enumerate(stream):
        price = cost(request)
        result.requests += 1
        result.cost_usd += price
        started, cpu_started = time.perf_counter(), time.process_time()
        entry = exact.get(request.text)
        vector = None
        if entry is None:
            (vector,) = await embedder.embed([request.text])
            embedded = time.perf_counter()
            found = await index.search(
                vector, tags=tags, k=CANDIDATES, now=now, min_similarity=threshold
            )
            searched = time.perf_counter()
            result.embed_s.append(embedded - started)
            result.search_s.append(searched - embedded)
            for match in found:
                candidate = entries[match.id]
                if compatible(request.text, candidate.text):
                    entry = candidate
                    break
                result.guard_refusals += 1
            elapsed = time.perf_counter() - started
            result.guard_s.append(started + elapsed - searched)
            result.semantic_lookup_s.append(elapsed)
            result.semantic_cpu_s.append(time.process_time() - cpu_started)
            if entry is not None:
                result.semantic_hits += 1
        else:
            elapsed = time.perf_counter() - started
            result.exact_hits += 1
        result.lookup_s.append(elapsed)
        if entry is not None:
            result.saved_usd += price
            if entry.question != request.question:
                result.wrong_answers += 1
                result.wrong_examples.append({"asked": request.text, "served": entry.text})
            continue
        stored = Entry(request.text, request.question)
        exact[request.text] = stored
        entries[f"e{n}"] = stored
        assert vector is not None
        await index.add([Record(f"e{n}", vector, tags, now + TTL_S)])
    return result


def ms(samples: Sequence[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    ordered = np.sort(np.asarray(samples))
    return {
        "p50_ms": round(float(np.percentile(ordered, 50)) * 1000, 3),
        "p99_ms": round(float(np.percentile(ordered, 99)) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
        "n": len(samples),
    }
