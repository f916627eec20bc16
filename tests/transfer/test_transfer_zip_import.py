"""ChatGPT's data export imported as downloaded (a zip): only conversations.json is read, and
never more than the import limit of it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app
from tests.transfer.kit import DATA, conversation_count, post_import

CHATGPT = (DATA / "chatgpt_conversations.json").read_bytes()


def archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


async def test_the_chatgpt_zip_imports_its_conversations(user_client: ApiClient) -> None:
    body = archive({"chat.html": b"<html>", "export/conversations.json": CHATGPT})
    response = await post_import(user_client, body)
    assert response.status_code == 201, response.text
    assert (response.json()["format"], response.json()["conversations"]) == ("chatgpt", 2)


async def test_a_zip_without_conversations_json_is_422(user_client: ApiClient) -> None:
    response = await post_import(user_client, archive({"chat.html": b"<html>"}))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "import_unknown_format"
    assert await conversation_count(user_client) == 0


async def test_a_damaged_zip_is_400(user_client: ApiClient) -> None:
    body = archive({"conversations.json": CHATGPT})
    damaged = body[:40] + bytes(len(body) - 80) + body[-40:]
    response = await post_import(user_client, damaged)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_bad_zip"


@pytest.fixture
async def small(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[ApiClient]:
    config = make_config(database_url, tmp_path, max_import_bytes=16 * 1024)
    async with running_app(config, clock) as (app, _), api_client(app) as client:
        await client.register("alice@example.com")
        yield client


async def test_a_zip_bomb_stops_at_the_limit(small: ApiClient) -> None:
    """10 MB of spaces compress to about 10 KB: under the 16 KiB limit as a file, far over it
    once inflated. The header's size is checked, and so is every byte actually inflated."""
    bomb = b"[" + b" " * 10_000_000 + b"]"
    body = archive({"conversations.json": bomb})
    assert len(body) < 16 * 1024
    response = await post_import(small, body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_zip_whose_header_lies_about_the_size_is_refused(small: ApiClient) -> None:
    """Inflating stops at the size the header claims, and the checksum then fails."""
    bomb = b"[" + b" " * 10_000_000 + b"]"
    body = bytearray(archive({"conversations.json": bomb}))
    # Claim 100 bytes uncompressed in the central directory (offset 24 of its entry).
    central = body.rfind(b"PK\x01\x02")
    body[central + 24 : central + 28] = (100).to_bytes(4, "little")
    response = await post_import(small, bytes(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_bad_zip"
    assert await conversation_count(small) == 0
