"""Scale-out, proven on loopback: three replicas behind Debian's HAProxy, driven by browsers.

PostgreSQL, the gate's Redis, the cache Redis, three `lockgate serve` replicas and HAProxy
(round-robin, SSE unbuffered, readiness checks) run on 127.0.0.1 (tests/fixtures/cluster.py).
Browser-like clients (tests/cluster/browser.py) only ever talk to the balancer. The figures each
test measures are printed (``pytest -rP tests/cluster`` shows them).

Here: SSE through the balancer, a rolling update, budgets. A crashed replica and a stop sent to
another replica are in test_cluster_failures.py.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest

from tests.cluster.browser import Browser
from tests.cluster.scenarios import (
    USER_DAILY_USD,
    report,
    rolling_update,
)
from tests.fixtures.cluster import LoopbackCluster
from tests.fixtures.redis import RedisReplyError

pytestmark = pytest.mark.slow


async def test_replies_stream_unbuffered_and_round_robin(healthy_cluster: LoopbackCluster) -> None:
    async with Browser(healthy_cluster.url, "unbuffered@example.com") as browser:
        cid = await browser.new_conversation()
        arrivals: list[float] = []
        url = f"/api/v1/conversations/{cid}/messages"
        body = {"content": "stream please [[tokens:40]] [[slow:20]]"}
        async with browser.client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if line == "event: delta":
                    arrivals.append(time.monotonic())
        answered = [
            (await browser.request("GET", "/health/ready")).headers["x-lockgate-replica"]
            for _ in range(6)
        ]
    assert len(arrivals) == 40
    # 40 tokens at 20/s: a buffering proxy would deliver them together at the end.
    assert arrivals[-1] - arrivals[0] > 1.0
    assert Counter(answered) == {name: 2 for name in healthy_cluster.names()}


def test_the_cache_redis_has_the_query_engine(healthy_cluster: LoopbackCluster) -> None:
    """The response cache's vectors need FT.* (a plain Redis is refused at start-up); the
    replicas created their indexes there themselves (one for the cache's answers, one for
    documents' passages: ``documents.store: auto`` picks the shared Redis), and nothing in the
    gate's."""
    cache, gate = healthy_cluster.cache_redis, healthy_cluster.gate_redis
    assert cache is not None
    assert gate is not None
    indexes = cache.execute("FT._LIST")
    assert isinstance(indexes, list)
    assert all(isinstance(index, bytes) for index in indexes)
    names = sorted(index.split(b":")[1] for index in indexes if isinstance(index, bytes))
    assert names == [b"cache", b"documents"]
    with pytest.raises(RedisReplyError):
        gate.execute("FT._LIST")


async def test_an_answer_cached_through_one_replica_is_a_hit_through_another(
    healthy_cluster: LoopbackCluster,
) -> None:
    """The cache Redis is shared: one key asks each replica directly (not the balancer)."""
    async with Browser(healthy_cluster.url, "cached@example.com") as browser:
        created = await browser.request("POST", "/api/v1/keys", json={"name": "cache"})
        assert created.status_code == 201, created.text
        key = created.json()["key"]
    body = {
        "model": "sim-small",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": "Which replica answers? [[tokens:12]]"}],
    }
    seen: list[tuple[str, str]] = []  # (x-lockgate-cache, the answer) per replica, in turn
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as client:
        for replica in healthy_cluster.replicas:
            response = await client.post(f"{replica.url}/v1/chat/completions", json=body)
            assert response.status_code == 200, response.text
            text = response.json()["choices"][0]["message"]["content"]
            seen.append((response.headers["x-lockgate-cache"], text))
    assert [status for status, _ in seen] == ["miss"] + ["hit"] * (len(seen) - 1)
    assert len({text for _, text in seen}) == 1
    report("cache across replicas", replicas=len(seen), statuses="/".join(s for s, _ in seen))


@pytest.mark.parametrize("prestop", [True, False], ids=["prestop-then-sigterm", "sigterm-only"])
async def test_a_rolling_update_loses_no_message_and_no_reply(
    healthy_cluster: LoopbackCluster, prestop: bool
) -> None:
    """Two browsers read each reply straight through; two reload mid-reply and re-attach on
    another replica (from the start, or after their ``Last-Event-ID``). Each replica is taken
    out of the balancer first (Kubernetes' endpoint removal, which preStop waits for), or only
    sent SIGTERM (a plain process manager): the balancer's checks must then notice."""
    who = "roll" if prestop else "term"
    update = await rolling_update(healthy_cluster, who=who, reloading=2, prestop=prestop)
    # rolling_update compared every user message and reply with the saved rows.
    figures = update.figures()
    assert update.server_errors == [], "the balancer let a 5xx through"
    assert update.left_streaming == 0
    assert all(live > 0 for live in update.live_at_sigterm)
    statuses = Counter(reply.final_status for reply in update.replies)
    assert set(statuses) <= {"complete", "incomplete"}
    assert statuses["complete"] > 0
    assert update.read_through
    assert all(not reply.attaches for reply in update.read_through)
    assert update.reloaded
    assert all(reply.attaches for reply in update.reloaded)
    assert figures["reattached_elsewhere"] >= len(update.reloaded) // 2
    assert figures["resumed_with_last_event_id"] > 0
    report(
        f"rolling update, {'prestop then SIGTERM' if prestop else 'SIGTERM only'}",
        restarts_s=[round(t, 1) for t in healthy_cluster.timings.restarts[-3:]],
        drains_s=[round(t, 1) for t in healthy_cluster.timings.drains[-3:]],
        **figures,
    )


async def test_a_user_budget_is_never_overspent_across_replicas(
    healthy_cluster: LoopbackCluster,
) -> None:
    limit = Decimal(USER_DAILY_USD)
    requests, tokens = 60, 25
    async with Browser(healthy_cluster.url, "budget@example.com") as browser:
        cids = [await browser.new_conversation() for _ in range(12)]

        answered: list[str] = []

        async def spend(i: int) -> tuple[str | None, str]:
            """(the replica that answered, the SSE body), or (None, the refusal's code)."""
            body = {"content": f"spend {i} [[tokens:{tokens}]]", "model": "metered"}
            url = f"/api/v1/conversations/{cids[i % len(cids)]}/messages"
            response = await browser.request("POST", url, json={**body, "max_tokens": tokens})
            answered.append(response.headers["x-lockgate-replica"])
            if response.status_code != 200:
                return None, response.json()["error"]["code"]
            return response.headers["x-lockgate-replica"], response.text

        began = time.monotonic()
        results = await asyncio.gather(*(spend(i) for i in range(requests)))
        took = time.monotonic() - began
        usage = (await browser.request("GET", "/api/v1/usage")).json()
        assert browser.server_errors == []
    admitted = [(replica, text) for replica, text in results if replica is not None]
    refused = Counter(code for replica, code in results if replica is None)
    spent = Decimal(usage["total_cost_usd"])
    one_reply = spent / max(len(admitted), 1)
    assert set(refused) == {"budget_exceeded"}
    assert all("event: done" in text for _, text in admitted)
    # Every replica admitted or refused some of them, and together they spent no more than the
    # one budget: with a budget kept per replica, each would have admitted up to the limit. (Which
    # replicas admit is a race: on a loaded machine the first to reach the gate take it all.)
    assert set(answered) == set(healthy_cluster.names())
    assert len(admitted) >= 1
    assert usage["total_requests"] == len(admitted)
    assert spent <= limit
    # Exact, not merely safe: what is left is less than what one more reply would reserve.
    assert limit - spent < 2 * one_reply
    report(
        "budget",
        requests=requests,
        admitted=len(admitted),
        refused=sum(refused.values()),
        spent_usd=spent,
        limit_usd=limit,
        seconds=round(took, 2),
    )
