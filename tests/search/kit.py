"""Apps with search by meaning on a chosen vector store, and messages written as an import would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import Conversation, Message, MessageRole, User
from lockgate.search.meaning import MessageSearch
from lockgate.settings import FileConfig, SearchConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

Opener = Callable[..., AbstractAsyncContextManager[tuple[ApiClient, AppState]]]


def search_of(state: AppState) -> MessageSearch:
    assert state.search is not None
    return state.search


@pytest.fixture(params=["embedded", "redis"])
def store(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """The vector store and, for Redis, the URL of a Redis 8.2 with RediSearch."""
    if request.param == "redis":
        return "redis", request.getfixturevalue("redis_search_url")
    return "embedded", None


def opener(database_url: str, data_dir: Path, store: tuple[str, str | None]) -> Opener:
    """Opens the app (again: a restart on the same database, data dir and store)."""
    kind, redis_url = store

    @asynccontextmanager
    async def open_app(**search: Any) -> AsyncIterator[tuple[ApiClient, AppState]]:
        file = FileConfig(search=SearchConfig(store=kind, **search))
        config = make_config(database_url, data_dir, file, cache_redis_url=redis_url)
        async with (
            running_app(config, FakeClock()) as (app, state),
            api_client(app) as client,
        ):
            yield client, state

    return open_app


async def user_id_of(state: AppState, email: str) -> uuid.UUID:
    async with state.sessionmaker() as db:
        found = await db.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


async def write_conversation(
    state: AppState, user_id: uuid.UUID, title: str, texts: list[str], **extra: Any
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A conversation of alternating user/assistant messages, straight into the database (as an
    import writes them: the indexer is not told, its sweep must find them)."""
    now = state.clock()
    async with state.sessionmaker() as db:
        conversation = Conversation(
            user_id=user_id, title=title, created_at=now, updated_at=now, **extra
        )
        db.add(conversation)
        await db.flush()
        ids: list[uuid.UUID] = []
        parent = None
        for seq, text in enumerate(texts, start=1):
            role = MessageRole.USER if seq % 2 else MessageRole.ASSISTANT
            message = Message(
                conversation_id=conversation.id,
                seq=seq,
                parent_id=parent,
                role=role,
                content=text,
                created_at=now,
                updated_at=now,
            )
            db.add(message)
            await db.flush()
            ids.append(message.id)
            parent = message.id
        conversation.last_seq = len(texts)
        conversation.current_message_id = parent
        conversation_id = conversation.id
        await db.commit()
    return conversation_id, ids


async def hits(client: ApiClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/search/messages", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
