"""The indexer off the request path: a document left `indexing` is indexed again at start,
and an embedding failure is said (status `failed`, with why), never hidden."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from lockgate.clock import FakeClock
from lockgate.documents.runtime import Documents
from lockgate.models import Document, DocumentStatus
from lockgate.settings import ConfigError, load_config
from lockgate.state import AppState
from lockgate.vectors.errors import EmbedderUnavailable
from tests.documents.kit import browser, conversation, documents_app, upload, uploaded
from tests.fixtures.appkit import migrated_sqlite_url

TEXT = b"The lighthouse keeper lit the lamp with paraffin oil at dusk."


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[tuple[Any, AppState]]:
    url = await migrated_sqlite_url(tmp_path)
    async with documents_app(url, tmp_path, clock) as pair:
        yield pair


def documents_of(state: AppState) -> Documents:
    assert state.documents is not None
    return state.documents


async def test_a_document_left_indexing_is_indexed_again(app: tuple[Any, AppState]) -> None:
    state = app[1]
    documents = documents_of(state)
    async with browser(app[0], "alice@example.com") as alice:
        cid = await conversation(alice)
        [made] = await uploaded(alice, state, cid, ("keeper.txt", TEXT))
        document_id = uuid.UUID(made["id"])
        # As if the process had stopped mid-way: the row says indexing, no vectors exist.
        async with state.sessionmaker() as db:
            await db.execute(
                update(Document)
                .where(Document.id == document_id)
                .values(status=DocumentStatus.INDEXING)
            )
            await db.commit()
        assert await documents.index.forget_document(document_id) == 1
        assert await documents.indexer.recover() == 1
        await documents.indexer.idle()
        shown = (await alice.get(f"/api/v1/documents/{document_id}")).json()
    assert shown["status"] == "ready"
    assert await documents.index.forget_document(document_id) == 1  # its vector is back


async def test_an_embedding_failure_marks_the_document_failed(
    app: tuple[Any, AppState], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = app[1]
    documents = documents_of(state)

    async def broken(texts: Sequence[str]) -> list[Any]:
        raise EmbedderUnavailable("The embedding model could not be loaded.")

    monkeypatch.setattr(documents.index.embedder, "embed", broken)
    async with browser(app[0], "alice@example.com") as alice:
        cid = await conversation(alice)
        response = await upload(alice, cid, ("keeper.txt", TEXT))
        assert response.status_code == 201
        await documents.indexer.idle()
        [shown] = (await alice.get(f"/api/v1/conversations/{cid}/documents")).json()["items"]
    assert (shown["status"], shown["error"]) == (
        "failed",
        "The embedding model could not be loaded.",
    )


def test_the_redis_store_needs_the_cache_redis(tmp_path: Path) -> None:
    config_file = tmp_path / "lockgate.yaml"
    config_file.write_text("documents:\n  store: redis\n")
    with pytest.raises(ConfigError, match=r"documents\.store is 'redis'"):
        load_config(env_file=None, config_file=config_file, data_dir=tmp_path)
