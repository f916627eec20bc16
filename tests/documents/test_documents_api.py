"""Documents through the API on both databases: upload, every refusal, quotas, ownership,
deletes, and what a question retrieves and cites."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from lockgate.clock import FakeClock
from lockgate.documents.repository import DocumentRepository
from lockgate.models import Document, DocumentChunk, MessageSource
from lockgate.state import AppState
from tests.documents.files import docx, encrypted_pdf, pdf
from tests.documents.kit import (
    ask,
    browser,
    conversation,
    documents_app,
    upload,
    uploaded,
)
from tests.fixtures.appkit import ApiClient

LIGHTHOUSE = [
    "Chapter one. The history of coastal navigation in the north of England.",
    "The Eddystone lighthouse keeper lit the great lamp every evening at dusk, burning "
    "paraffin oil, and trimmed the wicks through the night so ships could see the rocks.",
]
BREAD = (
    "# Sourdough\n\nTo bake sourdough bread, mix flour, water and salt, fold the dough, "
    "then let it rise overnight in a cool kitchen before baking in a hot oven."
)


@pytest.fixture
async def app(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Any, AppState]]:
    async with documents_app(database_url, tmp_path, clock) as pair:
        yield pair


@pytest.fixture
async def alice(app: tuple[Any, AppState]) -> AsyncIterator[ApiClient]:
    async with browser(app[0], "alice@example.com") as client:
        yield client


async def counts(state: AppState) -> tuple[int, int, int]:
    async with state.sessionmaker() as db:
        return (
            int(await db.scalar(select(func.count()).select_from(Document)) or 0),
            int(await db.scalar(select(func.count()).select_from(DocumentChunk)) or 0),
            int(await db.scalar(select(func.count()).select_from(MessageSource)) or 0),
        )


async def test_a_pdf_is_indexed_and_its_pages_kept(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    state = app[1]
    cid = await conversation(alice)
    response = await upload(alice, cid, ("keeper.pdf", pdf(LIGHTHOUSE)))
    assert response.status_code == 201, response.text
    [created] = response.json()["items"]
    assert (created["status"], created["kind"], created["pages"]) == ("indexing", "pdf", 2)
    assert state.documents is not None
    await state.documents.indexer.idle()
    listed = (await alice.get(f"/api/v1/conversations/{cid}/documents")).json()["items"]
    assert [(d["file_name"], d["status"], d["chunk_count"]) for d in listed] == [
        ("keeper.pdf", "ready", 2)
    ]


async def test_a_question_cites_the_passage_that_answers_it(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    cid = await conversation(alice)
    await uploaded(
        alice, app[1], cid, ("keeper.pdf", pdf(LIGHTHOUSE)), ("bread.md", BREAD.encode())
    )
    events = await ask(alice, cid, "How did the lighthouse keeper light the lamp?")
    final = events[-1][1]["final"]
    assert "[1]" in final["content"]
    assert "keeper.pdf, page 2" in final["content"]
    citations = (await alice.get(f"/api/v1/conversations/{cid}/citations")).json()["items"]
    first = citations[0]
    assert (first["message_id"], first["position"], first["file_name"], first["page"]) == (
        final["id"],
        1,
        "keeper.pdf",
        2,
    )
    passage = (await alice.get(f"/api/v1/passages/{first['chunk_id']}")).json()
    assert passage["text"].startswith("The Eddystone lighthouse keeper lit the great lamp")
    assert (passage["file_name"], passage["page"]) == ("keeper.pdf", 2)
    assert all(c["file_name"] != "bread.md" or c["position"] > 1 for c in citations)


async def test_a_question_in_a_conversation_without_documents_gets_no_sources(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    cid = await conversation(alice)
    events = await ask(alice, cid, "How did the lighthouse keeper light the lamp?")
    assert "[1]" not in events[-1][1]["final"]["content"]
    assert (await alice.get(f"/api/v1/conversations/{cid}/citations")).json()["items"] == []


async def test_the_upper_bound_counts_the_retrieved_text(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    question = "How did the lighthouse keeper light the lamp?"
    plain = await conversation(alice)
    without = (await ask(alice, plain, question))[0][1]["max_cost_usd"]
    cid = await conversation(alice)
    await uploaded(alice, app[1], cid, ("keeper.pdf", pdf(LIGHTHOUSE)))
    with_sources = (await ask(alice, cid, question))[0][1]["max_cost_usd"]
    # $1000 per million input tokens; the passage alone is more than 30 words (tokens).
    assert float(with_sources) - float(without) >= 30 * 1000 / 1_000_000


async def test_an_irrelevant_question_gets_no_sources(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    cid = await conversation(alice)
    await uploaded(alice, app[1], cid, ("bread.md", BREAD.encode()))
    await ask(alice, cid, "Which JavaScript framework renders on the server?")
    assert (await alice.get(f"/api/v1/conversations/{cid}/citations")).json()["items"] == []


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("secret.pdf", encrypted_pdf(["Hidden words"]), 422, "encrypted_pdf"),
        ("fake.pdf", b"plain words, not a PDF", 422, "file_type_mismatch"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", 422, "file_type_mismatch"),
        ("bomb.docx", docx(["a"], padding=2 * 1024 * 1024), 413, "decompression_bomb"),
        ("bomb.pdf", pdf(["x"], compress=True, padding=2 * 1024 * 1024), 413, "decompression_bomb"),
        ("empty.md", b"", 422, "empty_file"),
        ("tool.exe", b"MZ\x90\x00", 422, "unsupported_file_type"),
        ("huge.txt", b"a" * (64 * 1024 + 1), 413, "file_too_large"),
        ("long.pdf", pdf(["p"] * 21), 413, "too_many_pages"),
    ],
    ids=["encrypted", "mismatch-pdf", "mismatch-txt", "zip-bomb", "pdf-bomb", "empty",
         "unsupported", "too-large", "pages"],
)  # fmt: skip
async def test_a_bad_file_is_refused_and_nothing_is_stored(
    app: tuple[Any, AppState], alice: ApiClient, name: str, data: bytes, status: int, code: str
) -> None:
    cid = await conversation(alice)
    response = await upload(alice, cid, ("good.md", b"# Fine\n\nA good file."), (name, data))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert name in response.json()["error"]["message"] or code == "file_too_large"
    assert await counts(app[1]) == (0, 0, 0)  # not even the good file of the same message


async def test_too_many_files_in_one_message(app: tuple[Any, AppState], alice: ApiClient) -> None:
    cid = await conversation(alice)
    files = [(f"n{i}.txt", b"note") for i in range(4)]
    response = await upload(alice, cid, *files)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_many_files")


async def test_an_upload_without_files(app: tuple[Any, AppState], alice: ApiClient) -> None:
    cid = await conversation(alice)
    response = await alice.post("/api/v1/documents", data={"conversation_id": cid})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "no_files")


async def test_per_conversation_and_per_user_quotas(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    first = await conversation(alice)
    await uploaded(alice, app[1], first, *[(f"a{i}.txt", b"alpha") for i in range(3)])
    full = await upload(alice, first, ("a3.txt", b"x"), ("a4.txt", b"y"))
    assert (full.status_code, full.json()["error"]["code"]) == (413, "document_quota_exceeded")
    second = await conversation(alice)
    await uploaded(alice, app[1], second, *[(f"b{i}.txt", b"beta") for i in range(3)])
    third = await conversation(alice)
    over = await upload(alice, third, ("c.txt", b"gamma"))  # 7 > max_user_documents 6
    assert (over.status_code, over.json()["error"]["code"]) == (413, "document_quota_exceeded")
    assert "at most 6 documents" in over.json()["error"]["message"]


async def test_uploads_at_once_are_counted_one_at_a_time(
    app: tuple[Any, AppState], alice: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both uploads pass the early check (a read, before parsing); the final count, in the
    write, must see the other's documents: each gives the other 1 s to reach it at once."""
    for name in ("a", "b"):
        cid = await conversation(alice)
        files = [(f"{name}{i}.txt", b"alpha") for i in range(3 if name == "a" else 2)]
        await uploaded(alice, app[1], cid, *files)
    usage_of = DocumentRepository.usage_of
    calls: dict[asyncio.Task[Any] | None, int] = {}
    counting = {"now": 0}
    both = asyncio.Event()

    async def racing(self: DocumentRepository, user_id: uuid.UUID) -> tuple[int, int]:
        task = asyncio.current_task()
        calls[task] = calls.get(task, 0) + 1
        if calls[task] < 2:  # the early check: reads may overlap
            return await usage_of(self, user_id)
        counting["now"] += 1
        if counting["now"] >= 2:
            both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), 1)
        try:
            return await usage_of(self, user_id)
        finally:
            counting["now"] -= 1

    monkeypatch.setattr(DocumentRepository, "usage_of", racing)
    third = await conversation(alice)
    first, second = await asyncio.gather(
        upload(alice, third, ("c.txt", b"gamma")), upload(alice, third, ("d.txt", b"delta"))
    )
    assert sorted([first.status_code, second.status_code]) == [201, 413]
    assert not both.is_set()  # never two final counts at once
    assert (await counts(app[1]))[0] == 6


async def test_the_per_user_byte_quota(app: tuple[Any, AppState], alice: ApiClient) -> None:
    cid = await conversation(alice)
    big = b"word " * 12_000  # 60,000 bytes
    await uploaded(alice, app[1], cid, ("a.txt", big), ("b.txt", big), ("c.txt", big))
    other = await conversation(alice)
    response = await upload(alice, other, ("d.txt", big))  # 240,000 > 200 KiB
    assert (response.status_code, response.json()["error"]["code"]) == (
        413,
        "document_quota_exceeded",
    )


async def test_another_users_documents_are_not_found(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    cid = await conversation(alice)
    [document] = await uploaded(alice, app[1], cid, ("keeper.pdf", pdf(LIGHTHOUSE)))
    await ask(alice, cid, "How did the lighthouse keeper light the lamp?")
    chunk_id = (await alice.get(f"/api/v1/conversations/{cid}/citations")).json()["items"][0][
        "chunk_id"
    ]
    async with browser(app[0], "mallory@example.com") as mallory:
        for response in [
            await mallory.get(f"/api/v1/documents/{document['id']}"),
            await mallory.delete(f"/api/v1/documents/{document['id']}"),
            await mallory.get(f"/api/v1/passages/{chunk_id}"),
            await mallory.get(f"/api/v1/conversations/{cid}/documents"),
            await mallory.get(f"/api/v1/conversations/{cid}/citations"),
            await upload(mallory, cid, ("mine.txt", b"planted")),
        ]:
            assert response.status_code == 404, response.text
    assert (await alice.get(f"/api/v1/documents/{document['id']}")).json()["status"] == "ready"


async def test_deleting_a_document_removes_chunks_and_vectors(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    state = app[1]
    assert state.documents is not None
    cid = await conversation(alice)
    [document] = await uploaded(alice, state, cid, ("keeper.pdf", pdf(LIGHTHOUSE)))
    await ask(alice, cid, "How did the lighthouse keeper light the lamp?")
    response = await alice.delete(f"/api/v1/documents/{document['id']}")
    assert response.status_code == 204
    assert (await counts(state))[:2] == (0, 0)
    assert await state.documents.index.forget_document(uuid.UUID(document["id"])) == 0
    citation = (await alice.get(f"/api/v1/conversations/{cid}/citations")).json()["items"][0]
    assert (citation["chunk_id"], citation["file_name"]) == (None, "keeper.pdf")
    events = await ask(alice, cid, "How did the lighthouse keeper light the lamp?")
    assert "[1]" not in events[-1][1]["final"]["content"]


async def test_deleting_a_conversation_removes_its_documents_and_vectors(
    app: tuple[Any, AppState], alice: ApiClient
) -> None:
    state = app[1]
    assert state.documents is not None
    cid = await conversation(alice)
    await uploaded(alice, state, cid, ("keeper.pdf", pdf(LIGHTHOUSE)), ("b.md", BREAD.encode()))
    await ask(alice, cid, "How did the lighthouse keeper light the lamp?")
    assert (await alice.delete(f"/api/v1/conversations/{cid}")).status_code == 204
    assert await counts(state) == (0, 0, 0)
    assert await state.documents.index.forget_conversation(uuid.UUID(cid)) == 0  # nothing left
