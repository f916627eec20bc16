"""Export over HTTP: Lockgate JSON and Markdown, one conversation or all, and the round trip
export → import giving the same conversations (both databases)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

from lockgate.clock import FakeClock
from lockgate.state import AppState
from lockgate.transfer.export import Exporter
from tests.fixtures.appkit import ApiClient
from tests.transfer.kit import (
    messages,
    new_conversation,
    post_import,
    regenerate,
    send,
)

COMPARED = (
    "role",
    "content",
    "status",
    "model",
    "provider",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms",
    "cached",
    "created_at",
    "finished_at",
)


def shape(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without their ids, the parent given as the position of the parent."""
    position = {m["id"]: i for i, m in enumerate(items)}
    return [{**{k: m[k] for k in COMPARED}, "parent": position.get(m["parent_id"])} for m in items]


async def a_conversation_with_a_regeneration(client: ApiClient, clock: FakeClock) -> str:
    cid = await new_conversation(client, title="Lighthouses", system_prompt="Be brief.")
    first = await send(client, cid, "Tell me about lighthouses")
    clock.advance(seconds=5)
    await regenerate(client, first["id"])
    clock.advance(seconds=5)
    await send(client, cid, "And the tallest?")
    return cid


async def test_json_export_of_one_conversation_has_the_documented_fields(
    user_client: ApiClient, clock: FakeClock
) -> None:
    cid = await a_conversation_with_a_regeneration(user_client, clock)
    response = await user_client.get(f"/api/v1/conversations/{cid}/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert 'filename="' in response.headers["content-disposition"]
    document = response.json()
    assert (document["format"], document["version"]) == ("lockgate.conversations", 1)
    [conversation] = document["conversations"]
    assert (conversation["title"], conversation["system_prompt"]) == ("Lighthouses", "Be brief.")
    assert conversation["model"] == "sim-small"
    exported = conversation["messages"]
    assert [m["role"] for m in exported] == ["user", "assistant", "assistant", "user", "assistant"]
    assert exported[1]["parent_id"] == exported[2]["parent_id"] == exported[0]["id"]
    assert all(m["input_tokens"] and m["cost_usd"] is not None for m in exported[1::2][:1])
    assert isinstance(exported[1]["cost_usd"], str)


async def test_round_trip_of_all_conversations_gives_the_same_conversations(
    user_client: ApiClient, other_client: ApiClient, clock: FakeClock
) -> None:
    cid = await a_conversation_with_a_regeneration(user_client, clock)
    clock.advance(seconds=10)
    other = await new_conversation(user_client, title="Second")
    await send(user_client, other, "hello")
    original = {c: await messages(user_client, c) for c in (cid, other)}
    export = await user_client.get("/api/v1/exports", params={"format": "json"})
    assert export.status_code == 200

    await other_client.register("bob@example.com")
    imported = await post_import(other_client, export.content)
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["format"], body["conversations"], body["messages"]) == ("lockgate", 2, 7)
    listed = (await other_client.get("/api/v1/conversations")).json()["items"]
    by_title = {c["title"]: c for c in listed}
    assert set(by_title) == {"Lighthouses", "Second"}
    assert by_title["Lighthouses"]["system_prompt"] == "Be brief."
    source = {
        c["title"]: c for c in (await user_client.get("/api/v1/conversations")).json()["items"]
    }
    for title, conversation in by_title.items():
        assert conversation["id"] != source[title]["id"]
        assert conversation["created_at"] == source[title]["created_at"]
        assert conversation["updated_at"] == source[title]["updated_at"]
        copy = await messages(other_client, conversation["id"])
        assert shape(copy) == shape(original[source[title]["id"]])


async def test_markdown_of_one_conversation_shows_the_branch_in_view(
    user_client: ApiClient, clock: FakeClock
) -> None:
    cid = await a_conversation_with_a_regeneration(user_client, clock)
    items = await messages(user_client, cid)
    shown = items[2]["content"]  # the regenerated reply, not items[1]
    response = await user_client.get(
        f"/api/v1/conversations/{cid}/export", params={"format": "markdown"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Lighthouses\n")
    assert "## System prompt\n\nBe brief." in text
    assert text.count("### You · ") == 2
    assert text.count("### Assistant (sim-small) · ") == 2  # 3 replies, 2 in the branch shown
    assert text.index("Tell me about lighthouses") < text.index("And the tallest?")
    assert shown in text


async def test_markdown_of_all_conversations_is_a_zip_of_one_file_each(
    user_client: ApiClient, clock: FakeClock
) -> None:
    for title in ("Paris / Rome?", "Paris / Rome?"):
        cid = await new_conversation(user_client, title=title)
        await send(user_client, cid, f"question in {title}")
        clock.advance(seconds=1)
    await new_conversation(user_client)  # no message yet, so no title
    response = await user_client.get("/api/v1/exports", params={"format": "markdown"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == len(set(names)) == 3
    assert all(n.endswith(".md") and "/" not in n and "?" not in n for n in names)
    bodies = [archive.read(n).decode() for n in names]
    assert sum("question in Paris / Rome?" in b for b in bodies) == 2
    assert any(b.startswith("# Untitled conversation") for b in bodies)


async def test_exports_are_streamed_in_pages_and_hold_every_conversation(
    user_client: ApiClient, clock: FakeClock
) -> None:
    """More conversations than one page of the export (20): none lost, none twice."""
    titles = [f"c{i:02d}" for i in range(45)]
    for title in titles:
        await new_conversation(user_client, title=title)
        clock.advance(seconds=1)
    document = json.loads((await user_client.get("/api/v1/exports")).content)
    assert [c["title"] for c in document["conversations"]] == titles


async def test_another_users_conversation_cannot_be_exported(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid = await new_conversation(user_client, title="private")
    await other_client.register("bob@example.com")
    for fmt in ("json", "markdown"):
        response = await other_client.get(
            f"/api/v1/conversations/{cid}/export", params={"format": fmt}
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    everything = (await other_client.get("/api/v1/exports")).json()
    assert everything["conversations"] == []


async def test_export_needs_a_sign_in(client: ApiClient) -> None:
    response = await client.get("/api/v1/exports")
    assert response.status_code == 401


async def test_the_json_export_is_sent_a_page_at_a_time(
    user_client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    """45 conversations leave as the header, three pages and the end: never one whole body."""
    for i in range(45):
        await new_conversation(user_client, title=f"c{i:02d}")
        clock.advance(seconds=1)
    me = (await user_client.get("/api/v1/auth/me")).json()
    exporter = Exporter(state.sessionmaker, state.clock, uuid.UUID(me["id"]))
    chunks = [chunk async for chunk in exporter.json()]
    assert len(chunks) == 1 + 3 + 1
    assert len(json.loads(b"".join(chunks))["conversations"]) == 45
