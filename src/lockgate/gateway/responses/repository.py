"""Every query on stored responses. A row is visible only to the key that made it and only
until it expires; expired rows are deleted as new ones are stored (one indexed range delete)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import StoredResponse


class ResponseRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, rid: str, key_id: uuid.UUID, now: datetime) -> StoredResponse | None:
        row = await self.db.get(StoredResponse, rid)
        if row is None or row.api_key_id != key_id or row.expires_at <= now:
            return None
        return row

    async def chain(
        self, rid: str, key_id: uuid.UUID, now: datetime, limit: int
    ) -> list[StoredResponse]:
        """`rid` and the responses it continues, oldest first, at most `limit` + 1 of them
        (one query: a recursive CTE along ``previous_response_id``)."""
        table = StoredResponse
        visible = (table.api_key_id == key_id, table.expires_at > now)
        start = (
            select(table.id, table.previous_response_id, literal(0).label("depth"))
            .where(table.id == rid, *visible)
            .cte("chain", recursive=True)
        )
        step = (
            select(table.id, table.previous_response_id, (start.c.depth + 1).label("depth"))
            .join(start, table.id == start.c.previous_response_id)
            .where(*visible, start.c.depth < limit)
        )
        chain = start.union_all(step)
        query = select(table).join(chain, table.id == chain.c.id).order_by(chain.c.depth.desc())
        return list((await self.db.scalars(query)).all())

    def add(self, row: StoredResponse) -> None:
        self.db.add(row)

    async def purge(self, now: datetime) -> None:
        await self.db.execute(delete(StoredResponse).where(StoredResponse.expires_at <= now))

    async def delete(self, rid: str, key_id: uuid.UUID, now: datetime) -> bool:
        row = await self.get(rid, key_id, now)
        if row is None:
            return False
        await self.db.delete(row)
        return True
