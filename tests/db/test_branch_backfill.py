"""Migration 0007 on a database that already has conversations: each becomes one chain as it was
written (a regenerated answer stays a sibling), its last message the current leaf; and back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lockgate.conversations.tree import MessageTree, oldest_first
from lockgate.db.base import UTCDateTime
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.db.migrate import downgrade, upgrade
from lockgate.models import Conversation

REVISION = "0007"
BEFORE = "0006"
AT = datetime(2026, 12, 1, tzinfo=UTC)

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("is_admin", sa.Boolean()),
    sa.column("is_active", sa.Boolean()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
conversations = sa.table(
    "conversations",
    sa.column("id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("system_prompt", sa.Text()),
    sa.column("last_seq", sa.Integer()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
messages = sa.table(
    "messages",
    sa.column("id", sa.Uuid()),
    sa.column("conversation_id", sa.Uuid()),
    sa.column("seq", sa.Integer()),
    sa.column("parent_id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("content", sa.Text()),
    sa.column("status", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = await request.getfixturevalue("pg_templates").empty_database()
    engine = create_engine(url)
    await upgrade(engine, BEFORE)
    yield engine
    await engine.dispose()


class OldConversation:
    """Rows as revision 0006 wrote them: replies point at their user message, users at nothing.

    ``spec`` is a list of ``(name, role, answers)``: ``answers`` names a reply's user message.
    """

    def __init__(self, spec: list[tuple[str, str, str | None]]) -> None:
        self.id = uuid.uuid4()
        self.ids = {name: uuid.uuid4() for name, _, _ in spec}
        self.rows = [
            {
                "id": self.ids[name],
                "conversation_id": self.id,
                "seq": seq,
                "parent_id": self.ids[answers] if answers else None,
                "role": role,
                "content": name,
                "status": "error" if name.endswith("!") else "complete",
                "created_at": AT,
                "updated_at": AT,
            }
            for seq, (name, role, answers) in enumerate(spec, start=1)
        ]

    async def insert(self, conn: AsyncConnection, user_id: uuid.UUID) -> None:
        await conn.execute(
            sa.insert(conversations).values(
                id=self.id,
                user_id=user_id,
                title="old",
                system_prompt="",
                last_seq=len(self.rows),
                created_at=AT,
                updated_at=AT,
            )
        )
        if self.rows:
            await conn.execute(sa.insert(messages), self.rows)


REGENERATED = OldConversation(
    [
        ("u1", "user", None),
        ("a1", "assistant", "u1"),
        ("u2", "user", None),
        ("a2", "assistant", "u2"),
        ("a1b", "assistant", "u1"),  # an earlier answer regenerated after u2 was sent
        ("u3", "user", None),
        ("a3", "assistant", "u3"),
    ]
)
FAILED_THEN_RESENT = OldConversation(
    [("u1", "user", None), ("a1!", "assistant", "u1"), ("u2", "user", None)]
)
EMPTY = OldConversation([])


@pytest.fixture
async def migrated(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as conn:
        user_id = uuid.uuid4()
        await conn.execute(
            sa.insert(users).values(
                id=user_id,
                email="old@example.com",
                password_hash="x",
                is_admin=False,
                is_active=True,
                created_at=AT,
                updated_at=AT,
            )
        )
        for old in (REGENERATED, FAILED_THEN_RESENT, EMPTY):
            await old.insert(conn, user_id)
    await upgrade(engine, REVISION)
    return engine


async def parents(engine: AsyncEngine, old: OldConversation) -> dict[str, str | None]:
    names = {v: k for k, v in old.ids.items()}
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(messages.c.id, messages.c.parent_id).where(
                messages.c.conversation_id == old.id
            )
        )
        return {names[i]: names.get(p) if p else None for i, p in rows}


async def branch(engine: AsyncEngine, old: OldConversation) -> list[str]:
    """The current branch, read as the app reads it."""
    async with create_sessionmaker(engine)() as db:
        conversation = await db.get(Conversation, old.id)
        assert conversation is not None
        tree = MessageTree(db)
        leaf = await tree.leaf(conversation)
        if leaf is None:
            return []
        return [m.content for m in oldest_first(await tree.path(old.id, leaf.id, limit=100))]


async def test_user_messages_follow_the_reply_they_were_written_after(
    migrated: AsyncEngine,
) -> None:
    assert await parents(migrated, REGENERATED) == {
        "u1": None,
        "a1": "u1",
        "u2": "a1",
        "a2": "u2",
        "a1b": "u1",
        "u3": "a2",
        "a3": "u3",
    }


async def test_a_user_message_after_a_failed_reply_follows_that_reply(
    migrated: AsyncEngine,
) -> None:
    assert await parents(migrated, FAILED_THEN_RESENT) == {"u1": None, "a1!": "u1", "u2": "a1!"}


async def test_the_current_leaf_is_the_last_message(migrated: AsyncEngine) -> None:
    await upgrade(migrated, "head")  # read by the app's models, which are the head's
    assert await branch(migrated, REGENERATED) == ["u1", "a1", "u2", "a2", "u3", "a3"]
    assert await branch(migrated, FAILED_THEN_RESENT) == ["u1", "a1!", "u2"]
    assert await branch(migrated, EMPTY) == []
    async with migrated.connect() as conn:
        current = await conn.scalar(
            sa.text("SELECT current_message_id FROM conversations WHERE id = :id").bindparams(
                sa.bindparam("id", REGENERATED.id, type_=sa.Uuid())
            ),
        )
    assert uuid.UUID(str(current)) == REGENERATED.ids["a3"]


async def test_downgrade_keeps_every_message_and_forgets_user_parents(
    migrated: AsyncEngine,
) -> None:
    await downgrade(migrated, BEFORE)
    assert await parents(migrated, REGENERATED) == {
        "u1": None,
        "a1": "u1",
        "u2": None,
        "a2": "u2",
        "a1b": "u1",
        "u3": None,
        "a3": "u3",
    }


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


async def test_every_later_migration_keeps_every_row_up_to_head_and_back(
    migrated: AsyncEngine,
) -> None:
    """On SQLite a table change copies the table: with foreign keys enforced, dropping the old
    `conversations` cascaded to every message (migration 0008 deleted them all before the fix)."""
    before = {t: await count(migrated, t) for t in ("users", "conversations", "messages")}
    assert before == {"users": 1, "conversations": 3, "messages": 10}
    await upgrade(migrated, "head")
    assert {t: await count(migrated, t) for t in before} == before
    await downgrade(migrated, BEFORE)
    assert {t: await count(migrated, t) for t in before} == before
