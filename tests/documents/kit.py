"""An app with documents on (small limits, so the limits are cheap to reach), and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lockgate.clock import FakeClock
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, parse_sse, running_app

LIMITS: dict[str, Any] = {
    "max_file_bytes": 64 * 1024,
    "max_files_per_upload": 3,
    "max_documents_per_conversation": 4,
    "max_user_documents": 6,
    "max_user_bytes": 200 * 1024,
    "max_pages": 20,
    "max_decompressed_bytes": 256 * 1024,
}


PRICE = {"input_per_mtok": "1000", "output_per_mtok": "1000"}


def file_config(**documents: Any) -> FileConfig:
    return FileConfig.model_validate(
        {
            "models": {"sim-small": {"provider": "simulated", "price": PRICE}},
            "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
            "documents": {**LIMITS, **documents},
        }
    )


@asynccontextmanager
async def documents_app(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    redis_url: str | None = None,
    **documents: Any,
) -> AsyncIterator[tuple[Any, AppState]]:
    """``redis_url``: a Redis with the query engine, for ``documents.store: redis``."""
    if redis_url is not None:
        documents["store"] = "redis"
    config = make_config(
        database_url, tmp_path, file_config(**documents), cache_redis_url=redis_url
    )
    async with running_app(config, clock) as pair:
        yield pair


@asynccontextmanager
async def browser(app: Any, email: str) -> AsyncIterator[ApiClient]:
    async with api_client(app) as client:
        await client.register(email)
        yield client


async def conversation(client: ApiClient) -> str:
    response = await client.post("/api/v1/conversations", json={})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def upload(client: ApiClient, cid: str, *files: tuple[str, bytes]) -> Any:
    return await client.post(
        "/api/v1/documents",
        data={"conversation_id": cid},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


async def uploaded(
    client: ApiClient, state: AppState, cid: str, *files: tuple[str, bytes]
) -> list[Any]:
    """Upload, then wait until the indexer has finished (no sleeping: it is awaited)."""
    response = await upload(client, cid, *files)
    assert response.status_code == 201, response.text
    assert state.documents is not None
    await state.documents.indexer.idle()
    items: list[Any] = response.json()["items"]
    return items


async def ask(client: ApiClient, cid: str, question: str, **extra: Any) -> list[tuple[str, Any]]:
    response = await client.post(
        f"/api/v1/conversations/{cid}/messages", json={"content": question, **extra}
    )
    assert response.status_code == 200, response.text
    return parse_sse(response.text)
