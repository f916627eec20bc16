"""Scale-out, proven on loopback: three replicas behind Debian's HAProxy, driven by browsers.

PostgreSQL, the gate's Redis, the cache Redis, three `lockgate serve` replicas and HAProxy
(round-robin, SSE unbuffered, readiness checks) run on 127.0.0.1 (tests/fixtures/cluster.py).
Browser-like clients (tests/cluster/browser.py) only ever talk to the balancer. The figures each
test measures are printed (``pytest -rP tests/cluster`` shows them).

The guarantees that need live replies shared across replicas (re-attach to a live reply on any
replica, a stop from any replica) are in test_cluster_live.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from decimal import Decimal

import pytest

from tests.cluster.browser import Browser, wait_for
from tests.cluster.conftest import LEASE_SECONDS, REAP_SECONDS, USER_DAILY_USD
from tests.cluster.scenarios import LONG, RATE, check_saved, report, rolling_update
from tests.fixtures.cluster import LoopbackCluster

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


async def test_a_rolling_update_loses_no_message_and_no_reply(
    healthy_cluster: LoopbackCluster,
) -> None:
    update = await rolling_update(healthy_cluster, who="roll")
    # rolling_update compared every user message and reply with the saved rows.
    assert update.server_errors == [], "the balancer let a 5xx through"
    assert update.left_streaming == 0
    assert all(live > 0 for live in update.live_at_sigterm)
    statuses = Counter(reply.final_status for reply in update.replies)
    assert set(statuses) <= {"complete", "incomplete"}
    assert statuses["complete"] > 0
    report(
        "rolling update",
        restarts_s=[round(t, 1) for t in healthy_cluster.timings.restarts[-3:]],
        drains_s=[round(t, 1) for t in healthy_cluster.timings.drains[-3:]],
        **update.figures(),
    )


async def test_a_killed_replicas_replies_end_incomplete_within_the_lease(
    healthy_cluster: LoopbackCluster,
) -> None:
    cluster = healthy_cluster
    async with contextlib.AsyncExitStack() as stack:
        browsers = [
            await stack.enter_async_context(Browser(cluster.url, f"crash{k}@example.com"))
            for k in range(6)
        ]
        cids = [await b.new_conversation() for b in browsers]
        content = f"a long one [[tokens:{LONG}]] [[slow:{RATE}]]"
        # Cut browsers come back once the reply is closed: re-attaching to a live reply on
        # another replica is test_cluster_live.py's.
        sends = [
            asyncio.create_task(b.send(cid, content, reattach=False))
            for b, cid in zip(browsers, cids, strict=True)
        ]

        async def all_streaming() -> bool:
            return all(b.current is not None and b.current.text for b in browsers)

        await wait_for(all_streaming, within=30, what="every reply streaming")
        victim, doomed_ids = killable(cluster, browsers)
        await asyncio.to_thread(cluster.kill, cluster.names().index(victim))
        killed_at = time.monotonic()

        async def closed() -> bool:
            ids = ",".join(f"'{i}'" for i in doomed_ids)
            found = cluster.psql(
                f"SELECT count(*) FROM messages WHERE id IN ({ids}) AND status = 'streaming'"
            )
            return found == "0"

        await wait_for(closed, within=LEASE_SECONDS + 10, what="the killed owner's replies closed")
        closed_after = time.monotonic() - killed_at
        replies = await asyncio.wait_for(asyncio.gather(*sends), timeout=60)
        cut = [reply for reply in replies if not reply.final_event]
        for browser, reply in zip(browsers, replies, strict=True):
            if not reply.final_event:
                await browser.reattach(reply)
        for browser, cid, reply in zip(browsers, cids, replies, strict=True):
            await check_saved(browser, cid, [reply])
    assert sorted(reply.assistant_id for reply in cut) == sorted(doomed_ids)
    assert closed_after <= LEASE_SECONDS + REAP_SECONDS + 1.5
    for reply in replies:
        if reply.assistant_id in doomed_ids:
            assert (reply.final_status, reply.final_code) == ("incomplete", "interrupted")
            assert reply.text  # what was saved before the crash is kept
            assert victim not in reply.attaches
        else:
            assert reply.final_status == "complete"
    report(
        "sigkill",
        replies=len(replies),
        on_killed_replica=len(doomed_ids),
        closed_incomplete_after_s=round(closed_after, 2),
        lease_s=LEASE_SECONDS,
        reap_s=REAP_SECONDS,
        reattached_on=sorted({name for r in cut for name in r.attaches}),
    )


def killable(cluster: LoopbackCluster, browsers: list[Browser]) -> tuple[str, list[str]]:
    """The replica owning the first browser's reply, and the ids of every reply it owns."""
    current = [b.current for b in browsers if b.current is not None]
    victim = current[0].owner
    assert victim in cluster.names()
    return victim, [reply.assistant_id for reply in current if reply.owner == victim]


async def test_a_user_budget_is_never_overspent_across_replicas(
    healthy_cluster: LoopbackCluster,
) -> None:
    limit = Decimal(USER_DAILY_USD)
    requests, tokens = 60, 25
    async with Browser(healthy_cluster.url, "budget@example.com") as browser:
        cids = [await browser.new_conversation() for _ in range(12)]

        async def spend(i: int) -> tuple[str | None, str]:
            """(the replica that answered, the SSE body), or (None, the refusal's code)."""
            body = {"content": f"spend {i} [[tokens:{tokens}]]", "model": "metered"}
            url = f"/api/v1/conversations/{cids[i % len(cids)]}/messages"
            response = await browser.request("POST", url, json={**body, "max_tokens": tokens})
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
    assert {replica for replica, _ in admitted} == set(healthy_cluster.names())
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
