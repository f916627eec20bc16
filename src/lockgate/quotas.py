"""Per-user quotas that are read, then written: one user's uploads are counted one at a time.

A quota check reads what the user holds and then adds a row; two uploads at once would each
read the same total and both pass, taking the user past the quota. `counting_for` serialises
them: it locks the user's row until the transaction ends, so a second upload of the same user
waits, then counts the first one. Other users are never held.

On SQLite a write transaction holds the database's one write lock from its first statement
(``BEGIN IMMEDIATE``, see ``db/engine.py``), so uploads are serial already and ``FOR UPDATE``
is left out by SQLAlchemy; the statement still begins that transaction. Call it before the read::

    await counting_for(db, user_id)
    files, used = await repository.usage(user_id)
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import User


async def counting_for(db: AsyncSession, user_id: uuid.UUID) -> None:
    """Hold the user's quota until this transaction ends (see the module docstring)."""
    await db.execute(select(User.id).where(User.id == user_id).with_for_update())
