"""An upstream reporting far more usage than Lockgate reserved for (1M + 1M tokens on a call sent
with ``max_tokens: 20``), through a real ``lockgate serve`` and the official `openai` SDK, on the
memory gate and on the Redis gate.

The first call settles the true (reported) cost against the key's $0.05 budget, counts
``lockgate_usage_over_reservation_total`` and logs a warning; the next call is refused at once
with ``budget_exceeded`` (the SDK's RateLimitError).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.redis import RedisServer
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
HUGE = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000, "total_tokens": 2_000_000}
TRUE_COST = Decimal("3")  # 1M input at $1/Mtok + 1M output at $2/Mtok
COUNTER = re.compile(
    r'lockgate_usage_over_reservation_total\{model="fake-gpt",provider="fake"\} (\S+)'
)


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.usage = HUGE
        yield fake


@pytest.fixture(scope="module", params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    upstream: FakeOpenAI,
) -> Iterator[LockgateServer]:
    config: dict[str, Any] = {
        "providers": {"fake": {"type": "openai", "base_url": upstream.url}},
        "models": {
            "fake-gpt": {"provider": "fake", "price": {"input_per_mtok": 1, "output_per_mtok": 2}}
        },
        "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
    }
    env = {}
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.resume()
        env["LOCKGATE_REDIS_URL"] = redis.url
    workdir = tmp_path_factory.mktemp(f"overrun-{request.param}")
    with LockgateServer(workdir, config=config, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def account(server: LockgateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        response = client.post(
            "/api/v1/auth/register", json={"email": "dev@example.com", "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        yield client


def sdk_with_tiny_budget(
    server: LockgateServer, account: httpx.Client
) -> tuple[openai.OpenAI, str]:
    response = account.post("/api/v1/keys", json={"name": "tiny", "daily_budget_usd": "0.05"})
    assert response.status_code == 201, response.text
    key = response.json()
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=key["key"], max_retries=0)
    return client, str(key["id"])


def ask(client: openai.OpenAI, *, stream: bool) -> None:
    messages: Any = [{"role": "user", "content": "hello"}]
    if stream:
        with client.chat.completions.create(
            model="fake-gpt", messages=messages, max_tokens=20, stream=True
        ) as chunks:
            for _ in chunks:
                pass
    else:
        client.chat.completions.create(model="fake-gpt", messages=messages, max_tokens=20)


def over_reservation_count(server: LockgateServer) -> float:
    found = COUNTER.search(httpx.get(f"{server.url}/metrics").text)
    return float(found.group(1)) if found else 0.0


def key_spend(server: LockgateServer, account: httpx.Client, key_id: str) -> Decimal:
    assert account.get("/api/v1/usage").status_code == 200  # flushes pending /v1 rows
    with sqlite3.connect(Path(server.workdir) / "data" / "lockgate.db") as db:
        rows = db.execute(
            "SELECT cost_usd FROM usage_records WHERE api_key_id = ?", (key_id.replace("-", ""),)
        ).fetchall()
    return sum((Decimal(str(cost)) for (cost,) in rows), Decimal(0))


def overrun_logs(server: LockgateServer) -> list[dict[str, Any]]:
    lines = server.log_path.read_text().splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    return [e for e in events if e.get("event") == "usage_over_reservation"]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_the_first_call_settles_the_true_cost_and_the_next_is_refused(
    server: LockgateServer, account: httpx.Client, stream: bool
) -> None:
    client, key_id = sdk_with_tiny_budget(server, account)
    counted = over_reservation_count(server)
    ask(client, stream=stream)
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, stream=stream)
    client.close()
    assert (
        key_spend(server, account, key_id),
        over_reservation_count(server) - counted,
        refused.value.code,
    ) == (TRUE_COST, 1.0, "budget_exceeded")


def test_the_overrun_is_logged_with_provider_model_reserved_and_reported(
    server: LockgateServer, account: httpx.Client
) -> None:
    client, _ = sdk_with_tiny_budget(server, account)
    ask(client, stream=False)
    client.close()
    last = overrun_logs(server)[-1]
    assert (
        last["level"],
        last["provider"],
        last["model"],
        Decimal(last["reported_usd"]) == TRUE_COST,
        Decimal(last["reserved_usd"]) < Decimal("0.05"),
        last["max_tokens"],
        last["reported_output_tokens"],
    ) == ("warning", "fake", "fake-gpt", True, True, 20, 1_000_000)


def test_an_absurd_report_is_still_recorded_and_refuses_the_next_call(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    """10^20 tokens: beyond the ledger's integers and any budget. The call is answered, its
    usage row is written (capped to what the columns hold) without blocking other rows, and
    the key is refused at once."""
    client, key_id = sdk_with_tiny_budget(server, account)
    upstream.usage = {"prompt_tokens": 10**20, "completion_tokens": 10**20}
    try:
        ask(client, stream=False)
    finally:
        upstream.usage = HUGE
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, stream=False)
    client.close()
    assert (key_spend(server, account, key_id) > Decimal(1000), refused.value.code) == (
        True,
        "budget_exceeded",
    )
