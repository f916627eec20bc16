"""Three `lockgate serve` processes sharing one Redis and one PostgreSQL behave as one.

Driven concurrently over loopback: budgets are never overspent, a rate limit admits exactly its
limit across replicas, a breaker tripped by failures is seen by all of them (and traffic moves to
the fallback) and closes again after recovery, and a Redis outage follows the documented policy
(rate limits open, budgets closed) with recovery on its own.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.fixtures.postgres import PostgresServer
from tests.fixtures.redis import RedisServer
from tests.fixtures.replicas import new_conversation, send, shared_replicas, signed_in
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PROVIDER_BUDGET = Decimal("2")
CONVERSATIONS_PER_MINUTE = 40
FAST = {"type": "simulated", "first_token_latency": 0.005, "tokens_per_second": 2000}
PRICE = {"input_per_mtok": 1000, "output_per_mtok": 2000}
CONFIG: dict[str, Any] = {
    "providers": {"alpha": FAST, "beta": {**FAST, "seed": 7}, "gamma": {**FAST, "seed": 9}},
    "models": {
        "main": {"provider": "alpha", "price": PRICE, "fallbacks": ["backup"]},
        "backup": {"provider": "beta", "price": PRICE},
        "solo": {"provider": "alpha", "price": PRICE},
        "metered": {"provider": "gamma", "price": PRICE},
    },
    "default_model": "main",
    "gate": {
        "budgets": {"providers": {"gamma": {"daily_usd": str(PROVIDER_BUDGET)}}},
        "rate_limits": {
            "default": "100000/minute",
            "chat": "100000/minute",
            "per_ip": "100000/minute",
            "auth": "1000/minute",
            "conversations": f"{CONVERSATIONS_PER_MINUTE}/minute",
        },
        "breaker": {
            "consecutive_failures": 3,
            "min_calls": 1000,
            "cooldown_seconds": 4,  # long enough to see it open on a loaded machine
            "half_open_probes": 1,
            "success_threshold": 1,
        },
        "retry": {"attempts": 1},
    },
}


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
) -> Iterator[list[LockgateServer]]:
    redis_server.resume()
    redis_server.execute("FLUSHALL")
    database = postgres_server.create_database(f"replicas_{uuid.uuid4().hex[:8]}")
    env = {
        # Revocations must reach other replicas over Redis, not by a cached key expiring.
        "LOCKGATE_KEY_CACHE_SECONDS": "3600",
        # Budgets under concurrency are the subject here, not shedding (test_chat_admission.py).
        "LOCKGATE_CHAT_MAX_SENDS_IN_FLIGHT": "1000",
    }
    workdir = tmp_path_factory.mktemp("replicas")
    try:
        with shared_replicas(
            workdir, database, redis_server.url, config=CONFIG, env=env
        ) as servers:
            yield servers
    finally:
        redis_server.resume()


async def health(client: httpx.AsyncClient, server: LockgateServer, name: str) -> dict[str, Any]:
    providers = (await client.get(f"{server.url}/health/providers")).json()["providers"]
    found: dict[str, Any] = next(p for p in providers if p["name"] == name)
    return found


async def test_concurrent_chats_never_overspend_a_shared_budget(
    replicas: list[LockgateServer],
) -> None:
    clients = [await signed_in(replicas[0].url, f"spender{i}@example.com") for i in range(4)]
    try:
        targets = []
        for client, server in zip(clients, itertools.cycle(replicas), strict=False):
            for _ in range(5):
                targets.append((client, server, await new_conversation(client, server.url)))
        jobs = [
            send(client, replicas[i % 3].url, cid, f"spend {i} [[tokens:20]]", model="metered")
            for i, (client, _, cid) in enumerate(itertools.islice(itertools.cycle(targets), 240))
        ]
        results = await asyncio.gather(*jobs)
        ok = [body for status, body in results if status == 200]
        refused = [body for status, body in results if status != 200]
        assert len(ok) >= 20
        assert refused, "the budget should have run out"
        assert {body["error"]["code"] for body in refused} == {"budget_exceeded"}
        assert all(events[-1][0] == "done" for events in ok)
        spent = sum(Decimal(events[-1][1]["final"]["cost_usd"]) for events in ok)
        assert spent <= PROVIDER_BUDGET
        for server in replicas:  # every replica reports the same shared state
            [budget] = (await health(clients[0], server, "gamma"))["budgets"]
            assert Decimal(budget["spent_usd"]) == spent
            assert Decimal(budget["reserved_usd"]) == 0
    finally:
        for client in clients:
            await client.aclose()


async def test_a_revoked_key_stops_working_on_every_replica(
    replicas: list[LockgateServer],
) -> None:
    client = await signed_in(replicas[0].url, "revoker@example.com")
    try:
        created = await client.post(f"{replicas[0].url}/api/v1/keys", json={"name": "shared"})
        assert created.status_code == 201, created.text
        key = created.json()
        headers = {"Authorization": f"Bearer {key['key']}"}
        body = {"model": "solo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}

        async def call(server: LockgateServer) -> httpx.Response:
            return await client.post(
                f"{server.url}/v1/chat/completions", json=body, headers=headers
            )

        for server in replicas:  # every replica has the key cached now
            assert (await call(server)).status_code == 200
        revoked = await client.delete(f"{replicas[0].url}/api/v1/keys/{key['id']}")
        assert revoked.status_code == 200
        for server in replicas:
            # The announcement travels over Redis pub/sub: bounded wait, then never again.
            statuses = []
            for _ in range(200):
                reply = await call(server)
                statuses.append(reply.status_code)
                if reply.status_code == 401:
                    break
                await asyncio.sleep(0.01)
            assert statuses[-1] == 401, statuses
            assert len(statuses) <= 10, f"revocation took {len(statuses)} tries on {server.url}"
            assert (await call(server)).json()["error"]["code"] == "revoked_api_key"
    finally:
        await client.aclose()


async def test_a_rate_limit_admits_exactly_its_limit_across_replicas(
    replicas: list[LockgateServer],
) -> None:
    client = await signed_in(replicas[0].url, "burst@example.com")
    try:
        jobs = [
            client.post(f"{replicas[i % 3].url}/api/v1/conversations", json={})
            for i in range(CONVERSATIONS_PER_MINUTE * 2)
        ]
        statuses = [r.status_code for r in await asyncio.gather(*jobs)]
        assert statuses.count(201) == CONVERSATIONS_PER_MINUTE
        assert statuses.count(429) == CONVERSATIONS_PER_MINUTE
    finally:
        await client.aclose()


async def test_breaker_trips_on_every_replica_then_recovers(replicas: list[LockgateServer]) -> None:
    client = await signed_in(replicas[0].url, "breaker@example.com")
    try:
        cid = await new_conversation(client, replicas[0].url)
        for i in range(3):
            status, events = await send(client, replicas[i].url, cid, "hi [[fail@alpha:500]]")
            assert status == 200
            names = [name for name, _ in events]
            assert "fallback" in names
            assert events[-1][1]["final"]["provider"] == "beta"
        for server in replicas:
            assert (await health(client, server, "alpha"))["breaker"] == "open"
        status, events = await send(client, replicas[1].url, cid, "alpha is skipped now")
        assert "fallback" not in [name for name, _ in events]
        assert events[-1][1]["final"]["provider"] == "beta"

        deadline = time.monotonic() + 30  # cooldown is 4 s; bounded wait for half-open
        while (await health(client, replicas[2], "alpha"))["breaker"] != "half_open":
            assert time.monotonic() < deadline, "the breaker never went half-open"
            await asyncio.sleep(0.2)
        status, events = await send(client, replicas[0].url, cid, "alpha is healthy again")
        assert events[-1][1]["final"]["provider"] == "alpha"
        for server in replicas:
            assert (await health(client, server, "alpha"))["breaker"] == "closed"
    finally:
        await client.aclose()


async def test_redis_outage_fails_budgets_closed_and_recovers(
    replicas: list[LockgateServer], redis_server: RedisServer
) -> None:
    client = await signed_in(replicas[0].url, "outage@example.com")
    try:
        cid = await new_conversation(client, replicas[0].url)
        redis_server.pause()
        try:
            for server in replicas:
                status, body = await send(client, server.url, cid, "metered", model="metered")
                assert status == 503
                assert body["error"]["code"] == "budget_unavailable"
                status, events = await send(client, server.url, cid, "unmetered", model="solo")
                assert status == 200, events  # rate limits, breaker, lanes fail open by policy
                assert events[-1][0] == "done"
                listed = await client.get(f"{server.url}/api/v1/conversations")
                assert listed.status_code == 200
        finally:
            redis_server.resume()
        deadline = time.monotonic() + 15
        for server in replicas:
            while True:
                status, _ = await send(client, server.url, cid, "metered again", model="metered")
                if status == 200:
                    break
                assert time.monotonic() < deadline, f"{server.url} did not recover"
                await asyncio.sleep(0.2)
        assert all(server.returncode is None for server in replicas)
    finally:
        await client.aclose()
