"""Migration 0004: accounts stored under the old form (``strip().lower()``) are found under the
canonical one, and no account is merged, renamed onto another or lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lockgate.auth.repository import UserRepository
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.db.migrate import upgrade
from lockgate.models import User

LEGACY = [
    "bob@example.com",  # ASCII: unchanged
    "\uff56\uff49\uff43\uff54\uff49\uff4d@example.com",  # fullwidth, kept by the old code
    "a@xn--bcher-kva.de",  # created with `lockgate user create`, not through EmailStr
    "strasse@example.com",
    "straße@example.com",  # its canonical form belongs to the account above: left alone
]


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
    else:
        url = await request.getfixturevalue("pg_templates").empty_database()
    engine = create_engine(url)
    await upgrade(engine, "0003")
    async with engine.begin() as conn:
        await conn.execute(
            insert(User),
            [{"email": email, "password_hash": "x", "is_admin": False} for email in LEGACY],
        )
    await upgrade(engine)
    yield engine
    await engine.dispose()


async def test_stored_emails_become_canonical_without_merging_accounts(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        emails = set((await conn.scalars(select(User.email))).all())
    assert emails == {
        "bob@example.com",
        "victim@example.com",
        "a@bücher.de",
        "strasse@example.com",
        "straße@example.com",
    }


async def test_a_migrated_account_is_found_in_any_spelling(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine)() as db:
        user = await UserRepository(db).by_email(" Victim@EXAMPLE.com")
        assert user is not None
        assert user.email == "victim@example.com"
