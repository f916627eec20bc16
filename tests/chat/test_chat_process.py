"""Streaming chat through a real `lockgate serve` process and the simulated provider."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockgateServer]:
    with LockgateServer(tmp_path_factory.mktemp("chat")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: LockgateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        response = c.post(
            "/api/v1/auth/register", json={"email": "chat@example.com", "password": PASSWORD}
        )
        assert response.status_code == 201
        c.headers["X-CSRF-Token"] = c.cookies["lockgate_csrf"]
        yield c


def conversation(client: httpx.Client) -> str:
    cid: str = client.post("/api/v1/conversations", json={}).json()["id"]
    return cid


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any, float]]:
    """(event, data, arrival time) as each event arrives over the wire."""
    event = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            yield event, json.loads(line[6:]), time.monotonic()
            event = None


def test_deltas_arrive_progressively(client: httpx.Client) -> None:
    cid = conversation(client)
    body = {"content": "stream please [[tokens:40]] [[slow:20]]"}
    with client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
        events = list(sse_events(response))
    deltas = [t for name, _, t in events if name == "delta"]
    assert len(deltas) == 40
    # 40 tokens at 20/s: the first arrives about two seconds before the last; buffering would
    # deliver them together.
    assert deltas[-1] - deltas[0] > 1.0
    assert events[-1][0] == "done"


def test_disconnect_does_not_stop_the_reply(client: httpx.Client) -> None:
    cid = conversation(client)
    body = {"content": "keep going [[tokens:30]] [[slow:30]]"}
    with client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
        events = sse_events(response)
        first = next(events)
        assert first[0] == "message"
        message_id = first[1]["assistant_message"]["id"]
        next(events)  # one delta, then the "browser" goes away
    # Re-attaching waits for the end of the reply (live tail) without any polling.
    with client.stream("GET", f"/api/v1/messages/{message_id}/stream") as response:
        replay = list(sse_events(response))
    assert replay[-1][0] == "done"
    stored = client.get(f"/api/v1/conversations/{cid}").json()["messages"]["items"][-1]
    assert stored["status"] == "complete"
    assert stored["output_tokens"] == 30
    assert stored["content"] == "".join(d["text"] for n, d, _ in replay if n == "delta")


def test_reattach_replays_from_the_start_then_tails(client: httpx.Client) -> None:
    cid = conversation(client)
    body = {"content": "tell me [[tokens:25]] [[slow:25]]"}
    with client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
        events = sse_events(response)
        message_id = next(events)[1]["assistant_message"]["id"]
        seen = [next(events)[1]["text"] for _ in range(3)]
    with client.stream("GET", f"/api/v1/messages/{message_id}/stream") as response:
        replay = list(sse_events(response))
    text = "".join(d["text"] for n, d, _ in replay if n == "delta")
    assert text.startswith("".join(seen))
    assert replay[0][0] == "message"
    assert replay[-1][1]["final"]["content"] == text


def test_stop_keeps_the_partial_text_as_cancelled(
    client: httpx.Client, server: LockgateServer
) -> None:
    cid = conversation(client)
    body = {"content": "a long one [[tokens:400]] [[slow:20]]"}
    with client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
        events = sse_events(response)
        message_id = next(events)[1]["assistant_message"]["id"]
        next(events)
        stopped = client.post(f"/api/v1/messages/{message_id}/stop")
        rest = list(events)
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "cancelled"
    assert rest[-1][0] == "done"
    assert rest[-1][1]["status"] == "cancelled"
    assert 0 < stopped.json()["output_tokens"] < 400
    stored = client.get(f"/api/v1/conversations/{cid}").json()["messages"]["items"][-1]
    assert stored["status"] == "cancelled"
    assert stored["content"] == stopped.json()["content"]


def test_regenerate_adds_a_sibling(client: httpx.Client) -> None:
    cid = conversation(client)
    with client.stream(
        "POST", f"/api/v1/conversations/{cid}/messages", json={"content": "hi [[tokens:5]]"}
    ) as response:
        first = list(sse_events(response))[-1][1]["final"]
    with client.stream("POST", f"/api/v1/messages/{first['id']}/regenerate", json={}) as response:
        second = list(sse_events(response))[-1][1]["final"]
    assert second["parent_id"] == first["parent_id"]
    items = client.get(f"/api/v1/conversations/{cid}").json()["messages"]["items"]
    # The current branch shows the new answer; the first one is its sibling, kept.
    assert [(m["role"], m["id"]) for m in items] == [
        ("user", first["parent_id"]),
        ("assistant", second["id"]),
    ]
    assert items[1]["sibling_ids"] == [first["id"], second["id"]]


def test_failure_mid_stream_saves_partial_text_as_incomplete(client: httpx.Client) -> None:
    cid = conversation(client)
    body = {"content": "break [[fail:cut]]"}
    with client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
        events = list(sse_events(response))
    name, data, _ = events[-1]
    assert name == "error"
    assert data["code"] == "provider_unavailable"
    streamed = "".join(d["text"] for n, d, _ in events if n == "delta")
    assert streamed
    stored = client.get(f"/api/v1/conversations/{cid}").json()["messages"]["items"][-1]
    assert (stored["status"], stored["content"]) == ("incomplete", streamed)


def test_images_and_usage_are_served(client: httpx.Client) -> None:
    created = client.post("/api/v1/images", json={"prompt": "a red lighthouse", "size": "256x256"})
    assert created.status_code == 201
    image = created.json()["items"][0]
    png = client.get(image["url"])
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    usage = client.get("/api/v1/usage").json()
    kinds = {row["model"] for row in usage["rows"]}
    assert {"sim-small", "sim-image"} <= kinds
    assert usage["total_requests"] >= 2


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class LivenessProbe:
    """Polls /health/live from a thread while a test runs; `worst` is the slowest answer.

    Bounded: at most `max_probes` requests, each with a 5 s timeout.
    """

    def __init__(self, url: str, max_probes: int = 2000) -> None:
        self.url = f"{url}/health/live"
        self.max_probes = max_probes
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as probe:
            for _ in range(self.max_probes):
                if self.latencies:
                    self._first.set()
                started = time.monotonic()
                try:
                    probe.get(self.url).raise_for_status()
                    self.latencies.append(time.monotonic() - started)
                except httpx.HTTPError:
                    self.latencies.append(float("inf"))
                if self._stop.wait(0.01):
                    return

    def __enter__(self) -> LivenessProbe:
        self._thread.start()
        assert self._first.wait(10), "the server never answered /health/live"
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def worst(self) -> float:
        return max(self.latencies, default=float("inf"))


def test_a_huge_tokens_directive_keeps_the_server_live_and_small(
    client: httpx.Client, server: LockgateServer
) -> None:
    cid = conversation(client)
    body = {"content": "x [[tokens:1000000]]"}
    with (
        LivenessProbe(server.url) as probe,
        client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response,
    ):
        events = sse_events(response)
        message_id = next(events)[1]["assistant_message"]["id"]
        assert next(events)[0] == "delta"
        client.post(f"/api/v1/messages/{message_id}/stop")
        assert list(events)[-1][1]["status"] == "cancelled"
    assert probe.worst < 1.0
    assert rss_bytes(server.pid) < 400 * 1024 * 1024


@pytest.mark.parametrize("tokens", ["20000000", "99999999999999999999999"])
def test_an_out_of_range_directive_is_refused_without_freezing(
    client: httpx.Client, server: LockgateServer, tokens: str
) -> None:
    cid = conversation(client)
    body = {"content": f"x [[tokens:{tokens}]]"}
    with (
        LivenessProbe(server.url) as probe,
        client.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response,
    ):
        events = list(sse_events(response))
    assert (events[-1][0], events[-1][1]["code"]) == ("error", "provider_bad_request")
    assert probe.worst < 1.0
    assert rss_bytes(server.pid) < 400 * 1024 * 1024
