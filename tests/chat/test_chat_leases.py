"""A reply whose owner was SIGKILLed is closed as `incomplete` by the next server (with Redis).

Orphan recovery at start-up is only safe for a lone process; with Redis, other replicas may be
generating, so each live reply holds an owner lease that a survivor checks (chat/leases.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chat.test_chat_process import PASSWORD, sse_events
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
SHORT_LEASE = {"LOCKGATE_REPLY_LEASE_SECONDS": "1", "LOCKGATE_REPLY_REAP_SECONDS": "0.2"}


def last_message(client: httpx.Client, server: LockgateServer, cid: str) -> dict[str, Any]:
    response = client.get(f"{server.url}/api/v1/conversations/{cid}")
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["messages"]["items"][-1]
    return message


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


def test_a_killed_owners_reply_is_closed_incomplete_by_another_server(
    tmp_path: Path, redis_url: str, client: httpx.Client
) -> None:
    env = {"LOCKGATE_REDIS_URL": redis_url, **SHORT_LEASE}
    first = LockgateServer(tmp_path, env=env).start()
    try:
        client.post(
            f"{first.url}/api/v1/auth/register",
            json={"email": "lease@example.com", "password": PASSWORD},
        ).raise_for_status()
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        cid = client.post(f"{first.url}/api/v1/conversations", json={}).json()["id"]
        body = {"content": "a long one [[tokens:400]] [[slow:20]]"}
        url = f"{first.url}/api/v1/conversations/{cid}/messages"
        with client.stream("POST", url, json=body) as response:
            events = sse_events(response)
            message_id = next(events)[1]["assistant_message"]["id"]
            streamed = "".join(next(events)[1]["text"] for _ in range(15))  # ~0.75 s: saved
            while not last_message(client, first, cid)["content"]:  # a partial save landed
                streamed += next(events)[1]["text"]
            first.kill()
    finally:
        first.stop()
    with LockgateServer(tmp_path, env=env) as second:
        deadline = time.monotonic() + 20
        while (stored := last_message(client, second, cid))["status"] == "streaming":
            assert time.monotonic() < deadline, "the orphaned reply was never closed"
            time.sleep(0.5)  # bounded polling of another process; stays under rate limits
        with client.stream("GET", f"{second.url}/api/v1/messages/{message_id}/stream") as reply:
            final = list(sse_events(reply))[-1]
    assert (stored["status"], stored["error_code"]) == ("incomplete", "interrupted")
    # Both are beginnings of the same reply: what was saved last, and what this client read.
    assert stored["content"]
    assert stored["content"].startswith(streamed) or streamed.startswith(stored["content"])
    assert (final[0], final[1]["code"]) == ("error", "interrupted")
