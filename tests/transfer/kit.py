"""Helpers of the export, import and share tests: conversations made through the real chat path
(the simulated provider), and imports posted as a browser does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.appkit import ApiClient, parse_sse

DATA = Path(__file__).parent / "data"


async def new_conversation(client: ApiClient, **body: Any) -> str:
    response = await client.post("/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["id"]
    return conversation_id


async def send(client: ApiClient, cid: str, content: str) -> dict[str, Any]:
    """One question and its finished reply; the reply's final row."""
    response = await client.post(f"/api/v1/conversations/{cid}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    final: dict[str, Any] = parse_sse(response.text)[-1][1]["final"]
    return final


async def regenerate(client: ApiClient, message_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/messages/{message_id}/regenerate")
    assert response.status_code == 200, response.text
    final: dict[str, Any] = parse_sse(response.text)[-1][1]["final"]
    return final


async def messages(client: ApiClient, cid: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/conversations/{cid}", params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["messages"]["items"]
    return items


async def post_import(client: ApiClient, body: bytes | str | Any) -> httpx.Response:
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    content = body.encode() if isinstance(body, str) else body
    return await client.post(
        "/api/v1/imports", content=content, headers={"Content-Type": "application/json"}
    )


async def conversation_count(client: ApiClient) -> int:
    response = await client.get("/api/v1/conversations", params={"limit": 200})
    return len(response.json()["items"])
