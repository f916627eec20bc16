"""Three `lockgate serve` processes sharing one Redis and one PostgreSQL: a team's budget is
never overspent by its members' concurrent chats on every replica, and a budget raised on one
replica is in force on the others within a second.
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
from tests.fixtures.replicas import new_conversation, shared_replicas, signed_in
from tests.fixtures.replicas import send as replica_send
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
TEAM_BUDGET = Decimal("1")
FAST = {"type": "simulated", "first_token_latency": 0.005, "tokens_per_second": 2000}
PRICE = {"input_per_mtok": 1000, "output_per_mtok": 2000}
CONFIG: dict[str, Any] = {
    "providers": {"alpha": FAST},
    "models": {"metered": {"provider": "alpha", "price": PRICE}},
    "default_model": "metered",
    "gate": {
        "rate_limits": {
            "default": "100000/minute",
            "chat": "100000/minute",
            "per_ip": "100000/minute",
            "auth": "1000/minute",
            "conversations": "100000/minute",
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
    database = postgres_server.create_database(f"teams_{uuid.uuid4().hex[:8]}")
    env = {
        "LOCKGATE_CHAT_MAX_SENDS_IN_FLIGHT": "1000",
        # Changes must reach the other replicas over Redis, not by the reconciliation.
        "LOCKGATE_LIMITS_RECONCILE_SECONDS": "3600",
    }
    workdir = tmp_path_factory.mktemp("teams")
    with shared_replicas(workdir, database, redis_server.url, config=CONFIG, env=env) as servers:
        yield servers


async def send(client: httpx.AsyncClient, server: LockgateServer, content: str) -> Any:
    """``content`` sent in a new conversation on ``server``."""
    cid = await new_conversation(client, server.url)
    return await replica_send(client, server.url, cid, content)


async def test_a_team_budget_holds_across_replicas_and_a_raise_applies_everywhere(
    replicas: list[LockgateServer],
) -> None:
    admin = await signed_in(replicas[0].url, "admin@example.com")  # the first account: an admin
    members = [await signed_in(replicas[0].url, f"member{i}@example.com") for i in range(3)]
    try:
        created = await admin.post(
            f"{replicas[0].url}/api/v1/teams",
            json={"name": "Spenders", "limits": {"daily_usd": str(TEAM_BUDGET)}},
        )
        assert created.status_code == 201, created.text
        team = created.json()["id"]
        for i in range(3):  # each added on another replica
            added = await admin.post(
                f"{replicas[i].url}/api/v1/teams/{team}/members",
                json={"email": f"member{i}@example.com"},
            )
            assert added.status_code == 201, added.text

        jobs = [
            send(client, replicas[i % 3], f"spend {i} [[tokens:20]]")
            for i, client in zip(range(150), itertools.cycle(members), strict=False)
        ]
        results = await asyncio.gather(*jobs)
        ok = [body for status, body in results if status == 200]
        refused = [body for status, body in results if status != 200]
        assert len(ok) >= 10
        assert {body["error"]["code"] for body in refused} == {"budget_exceeded"}
        assert all("team's daily budget" in body["error"]["message"] for body in refused)
        spent = sum(Decimal(events[-1][1]["final"]["cost_usd"]) for events in ok)
        assert spent <= TEAM_BUDGET
        for server in replicas:  # every replica reports the same shared spend
            detail = (await admin.get(f"{server.url}/api/v1/teams/{team}")).json()
            [daily] = detail["spend"]
            assert Decimal(daily["spent_usd"]) == spent
            assert Decimal(daily["reserved_usd"]) == 0

        raised = await admin.put(
            f"{replicas[0].url}/api/v1/teams/{team}/limits", json={"daily_usd": "1000"}
        )
        assert raised.status_code == 200
        committed = time.monotonic()
        for server in replicas[1:]:  # bounded: the announcement travels over Redis pub/sub
            for _ in range(100):
                sent = time.monotonic()
                status = (await send(members[0], server, "again"))[0]
                if status == 200:
                    break
                # Refused: only a request sent within a second of the change may still be.
                assert sent - committed < 1.0
                await asyncio.sleep(0.01)
            assert status == 200
    finally:
        for client in [admin, *members]:
            await client.aclose()
