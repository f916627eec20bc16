"""Run by test_sentry.py as ``python -m tests.observability.sentry_app DSN`` in its own process.

Sentry's SDK is process-wide (it patches Starlette and logging), so the end-to-end check runs here:
a bad DSN is refused without raising, then the real one is set, and a request full of secrets hits
an endpoint that fails. The event goes to the test's local collector.
"""

from __future__ import annotations

import asyncio
import sys

import httpx
import sentry_sdk
from fastapi import FastAPI, Request

from lockgate.error_handlers import install_error_handlers
from lockgate.observability.sentry import init_sentry

API_KEY = "sk-proj-abcdefghijklmnop0123456789"
VIRTUAL_KEY = "lg-0123456789abcdefghij"
SESSION = "session-cookie-value-0123456789"
CSRF = "csrf-token-value-0123456789"
CONTENT = "my private diary entry about lighthouses"


async def main(dsn: str) -> None:
    if init_sentry("not a dsn", "test", scrub_content=True):
        raise SystemExit("a bad DSN must not turn Sentry on")
    if not init_sentry(dsn, "test", scrub_content=True):
        raise SystemExit("Sentry did not start")
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/v1/conversations/{conversation_id}/messages")
    async def send(conversation_id: int, request: Request) -> None:
        body = await request.json()
        content = body["content"]  # a local variable holding what the user wrote
        raise RuntimeError(f"provider refused key {API_KEY} for {len(content)} characters")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    cookies = {"lockgate_session": SESSION, "lockgate_csrf": CSRF}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://app", cookies=cookies
    ) as client:
        response = await client.post(
            "/api/v1/conversations/7/messages?api_key=" + API_KEY,
            json={"content": CONTENT},
            headers={
                "Authorization": f"Bearer {VIRTUAL_KEY}",
                "X-CSRF-Token": CSRF,
                "X-Api-Key": API_KEY,
            },
        )
    if response.status_code != 500:
        raise SystemExit(f"expected a 500, got {response.status_code}")
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
