"""A browser-like client of the web API, through the cluster's load balancer.

It does what the web UI does: signs up (session cookie + CSRF token), sends a message and reads
the reply's Server-Sent Events, and when the connection is cut mid-reply, re-attaches with
``GET /api/v1/messages/{id}/stream`` — through the balancer, so usually on another replica. Every
reply it reads is kept as a `Reply`, to be compared with the saved row at the end.

    async with Browser(cluster.url, "ada@example.com") as browser:
        cid = await browser.new_conversation()
        reply = await browser.send(cid, "hello [[tokens:20]]")
        assert reply.final_status == "complete"
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from tests.fixtures.balancer import REPLICA_HEADER

PASSWORD = "correct horse battery staple"
FINAL_EVENTS = frozenset({"done", "error"})
REATTACH_ATTEMPTS = 8


class BalancerRefused(AssertionError):
    """The balancer answered with a 5xx or the connection failed before any reply."""


@dataclass
class Reply:
    """What one browser saw of one reply, across its first stream and any re-attaches."""

    user_content: str
    assistant_id: str = ""
    user_message_id: str | None = None
    owner: str = ""
    text: str = ""
    final_event: str = ""
    final_status: str = ""
    final_code: str | None = None
    final_content: str | None = None
    attaches: list[str] = field(default_factory=list)
    """The replicas each re-attach was answered by."""
    cuts: int = 0
    """Connections that ended without a final event."""
    last_event_id: str | None = None
    left: bool = False
    """The browser left on purpose (a reload) before the end, then re-attached."""
    ended_at: float | None = None
    """When the final event arrived (time.monotonic)."""
    resumed: int = 0
    """Re-attaches that resumed after ``last_event_id`` instead of replaying from the start."""


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any, str | None]]:
    """(event, data, id) as each event arrives; ends when the server or the connection does."""
    event = event_id = None
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            yield event, json.loads(line[6:]), event_id
            event = event_id = None


class Browser:
    """One signed-in browser (its own cookie jar) talking to `base_url`."""

    def __init__(self, base_url: str, email: str, *, timeout: float = 60) -> None:
        self.base_url = base_url
        self.email = email
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.server_errors: list[tuple[str, int]] = []
        self.current: Reply | None = None
        """The reply being read right now (the test's view of what is live where)."""

    async def __aenter__(self) -> Self:
        response = await self.client.post(
            "/api/v1/auth/register", json={"email": self.email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        self.client.headers["X-CSRF-Token"] = self.client.cookies["lockgate_csrf"]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.client.aclose()

    async def new_conversation(self) -> str:
        response = await self.request("POST", "/api/v1/conversations", json={})
        assert response.status_code == 201, response.text
        cid: str = response.json()["id"]
        return cid

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request; a 5xx is recorded (the balancer should never let one through)."""
        response = await self.client.request(method, url, **kwargs)
        if response.status_code >= 500:
            self.server_errors.append((f"{method} {url}", response.status_code))
        return response

    async def messages(self, cid: str) -> list[dict[str, Any]]:
        """Every message of the conversation, oldest first (all pages)."""
        items: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        for _ in range(1000):
            url = f"/api/v1/conversations/{cid}/messages"
            response = await self.request("GET", url, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            items[:0] = page["items"]  # each next page holds older messages
            if not page["next_cursor"]:
                return items
            params = {"cursor": page["next_cursor"]}
        raise AssertionError(f"conversation {cid} has too many pages")

    async def send(
        self,
        cid: str,
        content: str,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        leave_after_deltas: int | None = None,
        reattach: bool = True,
        elsewhere: Sequence[str] = (),
        resume: bool = False,
    ) -> Reply:
        """Send `content` and read the reply to its end, re-attaching at once whenever the
        connection is cut (unless not `reattach`: then the reply is returned as it was cut).

        `leave_after_deltas` leaves on purpose after that many deltas (a reload), then
        re-attaches: on the replica after the owner in `elsewhere` (pinned, still through the
        balancer) if given, resuming after the last event seen (``Last-Event-ID``) if `resume`.
        """
        body: dict[str, Any] = {"content": content}
        if model is not None:
            body["model"] = model
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        reply = self.current = Reply(user_content=content)
        url = f"/api/v1/conversations/{cid}/messages"
        try:
            async with self.client.stream("POST", url, json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise BalancerRefused(f"POST {url}: {response.status_code} {response.text}")
                reply.owner = response.headers.get(REPLICA_HEADER, "")
                await self._read(response, reply, leave_after_deltas)
        except httpx.TransportError as exc:
            if not reply.assistant_id:
                raise BalancerRefused(f"POST {url}: {exc!r}") from exc
            reply.cuts += 1
        if reply.final_event or not reattach:
            return reply
        pin = None
        if elsewhere and reply.owner in elsewhere:
            pin = elsewhere[(list(elsewhere).index(reply.owner) + 1) % len(elsewhere)]
        await self.reattach(reply, pin=pin, resume=resume)
        return reply

    async def reattach(self, reply: Reply, *, pin: str | None = None, resume: bool = False) -> None:
        """Read the reply until its final event (bounded attempts): from its start, or with
        `resume` after the last event seen (the ``Last-Event-ID`` an EventSource sends)."""
        url = f"/api/v1/messages/{reply.assistant_id}/stream"
        for attempt in range(REATTACH_ATTEMPTS):
            headers = {REPLICA_HEADER: pin} if pin else {}
            if resume and reply.last_event_id is not None:
                headers["Last-Event-ID"] = reply.last_event_id
                reply.resumed += 1
            else:
                reply.text = ""  # a re-attach without an id replays from the start
            try:
                async with self.client.stream("GET", url, headers=headers) as response:
                    if response.status_code >= 500:
                        self.server_errors.append((f"GET {url}", response.status_code))
                        await asyncio.sleep(0.1 * (attempt + 1))
                        continue
                    assert response.status_code == 200, await response.aread()
                    reply.attaches.append(response.headers.get(REPLICA_HEADER, ""))
                    await self._read(response, reply, None)
            except httpx.TransportError:
                pass
            if reply.final_event:
                return
            reply.cuts += 1
        raise AssertionError(f"no final event for {reply.assistant_id} after re-attaching")

    async def stop(self, message_id: str, *, pin: str | None = None) -> httpx.Response:
        headers = {REPLICA_HEADER: pin} if pin else {}
        return await self.request("POST", f"/api/v1/messages/{message_id}/stop", headers=headers)

    async def _read(self, response: httpx.Response, reply: Reply, leave_after: int | None) -> None:
        deltas = 0
        async for name, data, event_id in sse_events(response):
            if event_id is not None:
                reply.last_event_id = event_id
            if name == "message":
                reply.assistant_id = data["assistant_message"]["id"]
                if data.get("user_message"):
                    reply.user_message_id = data["user_message"]["id"]
            elif name == "delta":
                reply.text += data["text"]
                deltas += 1
                if leave_after is not None and deltas >= leave_after:
                    reply.left = True
                    return  # the browser reloads: the connection closes mid-reply
            elif name in FINAL_EVENTS:
                reply.final_event = name
                reply.ended_at = time.monotonic()
                reply.final_status = data["status"]
                reply.final_code = data.get("code")
                reply.final_content = (data.get("final") or {}).get("content")
                if reply.resumed and not deltas and reply.final_content is not None:
                    # Resumed after the reply ended: the server sends only the final event,
                    # whose saved text must continue what this browser already showed.
                    assert reply.final_content.startswith(reply.text), reply
                    reply.text = reply.final_content
                return


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], *, within: float, what: str, interval: float = 0.2
) -> float:
    """Await `predicate()` until true; returns the seconds it took (bounded polling of other
    processes' state, never a fixed sleep)."""
    began = time.monotonic()
    while not await predicate():
        if time.monotonic() - began > within:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(interval)
    return time.monotonic() - began
