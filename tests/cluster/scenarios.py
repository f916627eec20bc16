"""The cluster tests' scenarios and checks, shared by the cluster tests.

`rolling_update` is what a deployment does to a running service: browsers keep chatting through
the balancer while each replica in turn is taken out of rotation, sent SIGTERM (it drains) and
started again. `check_saved` then compares what every browser saw with the saved rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.cluster.browser import Browser, Reply, wait_for
from tests.fixtures.cluster import (
    CLUSTER_CACHE,
    RELAXED_RATE_LIMITS,
    LoopbackCluster,
    cluster_config,
)

# Short lease, reap and grace settings keep the tests fast while exercising the same code paths
# as the production defaults (20 s lease, 10 s reap, 20 s grace).
REPLICAS = 3
LEASE_SECONDS = 3.0
REAP_SECONDS = 0.5
GRACE_SECONDS = 3.0
USER_DAILY_USD = "0.5"
# $0.001 an output token, $0.0001 an input token: one 25-token reply costs about $0.027.
METERED_PRICE = {"input_per_mtok": 100, "output_per_mtok": 1000}
CLUSTER_ENV = {
    "LOCKGATE_REPLY_LEASE_SECONDS": str(LEASE_SECONDS),
    "LOCKGATE_REPLY_REAP_SECONDS": str(REAP_SECONDS),
    "LOCKGATE_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
}


def cluster_test_config() -> dict[str, Any]:
    """The replicas share the gate's Redis and the response cache (`CLUSTER_CACHE`)."""
    config = cluster_config(
        gate={
            "rate_limits": RELAXED_RATE_LIMITS,
            "budgets": {"users": {"daily_usd": USER_DAILY_USD}},
        },
        cache=CLUSTER_CACHE,
    )
    models = dict(config["models"])
    models["metered"] = {
        "provider": "simulated",
        "context_window": 8192,
        "max_output_tokens": 2048,
        "price": METERED_PRICE,
    }
    config["models"] = models
    return config


RATE = 30  # tokens per second of the simulated provider
SHORT, LONG = 30, 150  # ~1 s replies finish within the drain's grace (3 s); ~5 s ones are cut
ROLLING_TIMEOUT = 120  # a whole rolling update of three replicas takes ~20-40 s here
MAX_MESSAGES = 60  # per browser: bounds the work whatever the replies do


def report(name: str, **figures: Any) -> None:
    """The figures a test measured, on one line (``pytest -rP tests/cluster`` shows them)."""
    print(f"cluster figures [{name}]: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


async def check_saved(browser: Browser, cid: str, replies: list[Reply]) -> None:
    """Every user message is saved exactly once, and every reply as its browser last read it."""
    rows = await browser.messages(cid)
    users = [row["content"] for row in rows if row["role"] == "user"]
    sent = [reply.user_content for reply in replies]
    assert users == sent, f"user messages saved {users} != sent {sent}"
    saved = {row["id"]: row for row in rows if row["role"] == "assistant"}
    for reply in replies:
        row = saved[reply.assistant_id]
        assert row["status"] != "streaming", f"{reply.assistant_id} left streaming"
        assert (row["status"], row["content"]) == (reply.final_status, reply.text), reply
        assert reply.final_content == reply.text


def count_rows(cluster: LoopbackCluster, ids: Iterable[str], condition: str) -> int:
    """How many of the messages `ids` match the SQL `condition` (ids are UUIDs we made)."""
    quoted = ",".join(f"'{uuid.UUID(i)}'" for i in ids)
    return int(
        cluster.psql(f"SELECT count(*) FROM messages WHERE id IN ({quoted}) AND {condition}")
    )


def live_on(browser: Browser, name: str) -> bool:
    """Whether `browser` is reading a reply that replica `name` generates, and has text."""
    reply = browser.current
    return reply is not None and reply.owner == name and bool(reply.text) and not reply.final_event


@dataclass
class RollingUpdate:
    seconds: float
    replies: list[Reply]
    live_at_sigterm: list[int]
    server_errors: list[tuple[str, int]]
    left_streaming: int

    @property
    def read_through(self) -> list[Reply]:
        """Replies read on the connection that sent them."""
        return [reply for reply in self.replies if not reply.left]

    @property
    def reloaded(self) -> list[Reply]:
        """Replies whose browser left mid-reply and re-attached."""
        return [reply for reply in self.replies if reply.left]

    def figures(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "user_messages": len(self.replies),
            "replies": dict(Counter(reply.final_status for reply in self.replies)),
            "live_on_replica_at_sigterm": self.live_at_sigterm,
            "read_through": len(self.read_through),
            "connections_cut": sum(reply.cuts for reply in self.replies),
            "reloaded": len(self.reloaded),
            "reattached_elsewhere": sum(
                1 for reply in self.reloaded if any(a != reply.owner for a in reply.attaches)
            ),
            "resumed_with_last_event_id": sum(1 for reply in self.reloaded if reply.resumed),
            "left_streaming": self.left_streaming,
        }


async def rolling_update(
    cluster: LoopbackCluster,
    *,
    who: str,
    clients: int = 4,
    reloading: int = 0,
    prestop: bool = True,
) -> RollingUpdate:
    """Browsers chat through the balancer while every replica in turn is restarted.

    Each replica is restarted only once it owns a live reply, so every drain has work to do.
    The last `reloading` browsers leave each reply after a few deltas and re-attach on another
    replica, every other time resuming with ``Last-Event-ID``; the others read each reply on
    the connection that sent it. Without `prestop`, a replica learns of its end from SIGTERM
    alone, and the balancer from its failing checks (see `LoopbackCluster.restart`). Saved
    rows are checked against what the browsers saw before returning.
    """
    updated = asyncio.Event()
    sent: dict[str, tuple[Browser, list[Reply]]] = {}
    names = cluster.names()

    async def chat(browser: Browser, k: int) -> None:
        cid = await browser.new_conversation()
        replies = sent.setdefault(cid, (browser, []))[1]
        n = 0
        while (not updated.is_set() or n < 2) and n < MAX_MESSAGES:
            tokens = LONG if (k + n) % 3 == 0 else SHORT
            content = f"{who} {k} message {n} [[tokens:{tokens}]] [[slow:{RATE}]]"
            if k >= clients - reloading:
                reply = await browser.send(
                    cid, content, leave_after_deltas=3, elsewhere=names, resume=n % 2 == 0
                )
            else:
                reply = await browser.send(cid, content)
            replies.append(reply)
            n += 1

    async with contextlib.AsyncExitStack() as stack:
        browsers = [
            await stack.enter_async_context(Browser(cluster.url, f"{who}{k}@example.com"))
            for k in range(clients)
        ]
        tasks = [asyncio.create_task(chat(b, k)) for k, b in enumerate(browsers)]
        began = time.monotonic()
        live_at_sigterm = []
        try:
            for index, name in enumerate(names):

                async def owns_a_live_reply(name: str = name) -> bool:
                    return any(live_on(b, name) for b in browsers)

                await wait_for(owns_a_live_reply, within=30, what=f"a live reply on {name}")
                live_at_sigterm.append(sum(1 for b in browsers if live_on(b, name)))
                await asyncio.to_thread(cluster.restart, index, prestop=prestop)
            updated.set()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=ROLLING_TIMEOUT)
        finally:
            for task in tasks:
                task.cancel()
        took = time.monotonic() - began
        for cid, (browser, replies) in sent.items():
            await check_saved(browser, cid, replies)
        errors = [e for b in browsers for e in b.server_errors]
    streaming = cluster.psql("SELECT count(*) FROM messages WHERE status = 'streaming'")
    return RollingUpdate(
        seconds=took,
        replies=[reply for _, replies in sent.values() for reply in replies],
        live_at_sigterm=live_at_sigterm,
        server_errors=errors,
        left_streaming=int(streaming),
    )
