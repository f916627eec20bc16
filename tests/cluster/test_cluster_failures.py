"""Failures behind the balancer: a replica SIGKILLed mid-reply, a stop sent to the wrong replica.

A killed replica's replies are closed `incomplete` by a survivor once their owner lease lapses;
a browser cut off by the crash re-attaches through the balancer (on a survivor) and follows the
reply until it is closed, or comes back later and reads the saved reply. A stop sent to a
replica that does not own the reply stops the generation on its owner, and its billing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal

import pytest

from tests.cluster.browser import Browser, wait_for
from tests.cluster.scenarios import (
    LEASE_SECONDS,
    LONG,
    METERED_PRICE,
    RATE,
    REAP_SECONDS,
    check_saved,
    count_rows,
    report,
)
from tests.fixtures.cluster import LoopbackCluster

pytestmark = pytest.mark.slow
STOP_WITHIN = 1.0  # seconds: the owner hears a stop sent anywhere "within a second"


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
        # another replica is the next test's.
        sends = [
            asyncio.create_task(b.send(cid, content, reattach=False))
            for b, cid in zip(browsers, cids, strict=True)
        ]

        async def all_streaming() -> bool:
            return all(b.current is not None and b.current.text for b in browsers)

        await wait_for(all_streaming, within=30, what="every reply streaming")
        victim, doomed_ids = killable(cluster, browsers)

        async def partly_saved() -> bool:  # the owner saves a growing reply every 0.25 s
            return count_rows(cluster, doomed_ids, "content <> ''") == len(doomed_ids)

        await wait_for(partly_saved, within=10, what="a partial save", interval=0.05)
        await asyncio.to_thread(cluster.kill, cluster.names().index(victim))
        killed_at = time.monotonic()

        async def closed() -> bool:
            return count_rows(cluster, doomed_ids, "status = 'streaming'") == 0

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


async def test_a_crashed_owners_reply_is_followed_on_a_survivor_until_closed(
    healthy_cluster: LoopbackCluster,
) -> None:
    cluster = healthy_cluster
    async with contextlib.AsyncExitStack() as stack:
        browsers = [
            await stack.enter_async_context(Browser(cluster.url, f"follow{k}@example.com"))
            for k in range(6)
        ]
        cids = [await b.new_conversation() for b in browsers]
        content = f"a long one [[tokens:{LONG}]] [[slow:{RATE}]]"
        sends = [
            asyncio.create_task(b.send(cid, content)) for b, cid in zip(browsers, cids, strict=True)
        ]

        async def all_streaming() -> bool:
            return all(b.current is not None and b.current.text for b in browsers)

        await wait_for(all_streaming, within=30, what="every reply streaming")
        current = [b.current for b in browsers if b.current is not None]
        victim = current[0].owner
        doomed = {reply.assistant_id for reply in current if reply.owner == victim}

        async def partly_saved() -> bool:  # the owner saves a growing reply every 0.25 s
            return count_rows(cluster, doomed, "content <> ''") == len(doomed)

        await wait_for(partly_saved, within=10, what="a partial save", interval=0.05)
        await asyncio.to_thread(cluster.kill, cluster.names().index(victim))
        killed_at = time.monotonic()
        replies = await asyncio.wait_for(asyncio.gather(*sends), timeout=LEASE_SECONDS + 30)
        rows = {}
        for browser, cid in zip(browsers, cids, strict=True):
            rows.update({row["id"]: row for row in await browser.messages(cid)})
    unsaved, ended_after = [], []
    for reply in replies:
        row = rows[reply.assistant_id]
        assert row["status"] == reply.final_status
        assert reply.final_content == row["content"]
        if reply.assistant_id not in doomed:
            assert (reply.final_status, reply.text) == ("complete", row["content"])
            continue
        # Followed on a survivor (not `not_live`) to the close, in order, without a gap.
        assert (reply.final_status, reply.final_code) == ("incomplete", "interrupted"), reply
        assert reply.attaches
        assert victim not in reply.attaches
        saved = row["content"]
        assert saved
        assert reply.text.startswith(saved) or saved.startswith(reply.text), reply
        unsaved.append(len(reply.text) - len(saved))
        assert reply.ended_at is not None
        ended_after.append(round(reply.ended_at - killed_at, 2))
    assert max(ended_after) <= LEASE_SECONDS + REAP_SECONDS + 1.5
    report(
        "crash, followed on a survivor",
        replies=len(replies),
        on_killed_replica=len(doomed),
        final_event_after_kill_s=ended_after,
        chars_seen_minus_saved=unsaved,
    )


async def test_a_stop_sent_to_another_replica_stops_the_owner_and_its_billing(
    healthy_cluster: LoopbackCluster,
) -> None:
    tokens, rate = 120, 20  # six seconds if nothing stops it
    price = Decimal(METERED_PRICE["output_per_mtok"]) / 1_000_000
    async with Browser(healthy_cluster.url, "stopper@example.com") as browser:
        cid = await browser.new_conversation()
        content = f"stop me [[tokens:{tokens}]] [[slow:{rate}]]"
        began = time.monotonic()
        sending = asyncio.create_task(
            browser.send(cid, content, model="metered", max_tokens=tokens)
        )

        async def under_way() -> bool:
            return browser.current is not None and len(browser.current.text) > 40

        await wait_for(under_way, within=30, what="the reply streaming", interval=0.05)
        assert browser.current is not None
        owner, message_id = browser.current.owner, browser.current.assistant_id
        other = next(name for name in healthy_cluster.names() if name != owner)
        asked = time.monotonic()
        stopped = await browser.stop(message_id, pin=other)
        stop_took = time.monotonic() - asked
        reply = await asyncio.wait_for(sending, timeout=STOP_WITHIN + 5)
        stream_ended_after = time.monotonic() - asked
        billed = (await browser.request("GET", "/api/v1/usage")).json()
        row = (await browser.messages(cid))[-1]
        # Had the stop not reached the owner, it would keep generating (and billing) until
        # `began + tokens / rate`: watch until well past that.
        deadline = began + tokens / rate + 1
        observed = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            assert (await browser.request("GET", "/api/v1/usage")).json() == billed
            assert (await browser.messages(cid))[-1] == row
            observed += 1
    assert stopped.status_code == 200, stopped.text
    assert stopped.headers["x-lockgate-replica"] == other != owner
    assert stop_took <= STOP_WITHIN
    assert (reply.final_event, reply.final_status) == ("done", "cancelled")
    assert (row["status"], row["content"]) == ("cancelled", reply.text)
    assert stopped.json()["content"] == row["content"]
    assert 0 < row["output_tokens"] < tokens
    spent = Decimal(billed["total_cost_usd"])
    assert billed["total_requests"] == 1
    assert spent == Decimal(row["cost_usd"])
    assert spent < tokens * price
    report(
        "stop via another replica",
        owner=owner,
        stopped_on=other,
        stop_request_s=round(stop_took, 3),
        owner_stream_ended_after_s=round(stream_ended_after, 3),
        output_tokens=f"{row['output_tokens']}/{tokens}",
        spent_usd=spent,
        full_reply_usd=tokens * price,
        unchanged_checks=observed,
    )
