"""Every query on stored responses. A row is visible only to the key that made it and only
until it expires; expired rows are deleted as new ones are stored (one indexed range delete)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import StoredResponse


@dataclass(frozen=True, slots=True)
class ChainLink:
    id: str
    previous_response_id: str | None
    size_bytes: int


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
    ) -> list[ChainLink]:
        """`rid` and the responses it continues, oldest first, at most `limit` + 1 of them:
        their ids, links and sizes only (one query: a recursive CTE along
        ``previous_response_id``), so a chain is measured before anything large is read."""
        table = StoredResponse
        visible = (table.api_key_id == key_id, table.expires_at > now)
        columns = (table.id, table.previous_response_id, table.size_bytes)
        start = (
            select(*columns, literal(0).label("depth"))
            .where(table.id == rid, *visible)
            .cte("chain", recursive=True)
        )
        step = (
            select(*columns, (start.c.depth + 1).label("depth"))
            .join(start, table.id == start.c.previous_response_id)
            .where(*visible, start.c.depth < limit)
        )
        chain = start.union_all(step)
        query = select(chain.c.id, chain.c.previous_response_id, chain.c.size_bytes).order_by(
            chain.c.depth.desc()
        )
        return [ChainLink(*row) for row in (await self.db.execute(query)).all()]

    async def rows(self, ids: list[str]) -> list[StoredResponse]:
        """The rows of `ids`, in that order."""
        found = {
            r.id: r
            for r in await self.db.scalars(select(StoredResponse).where(StoredResponse.id.in_(ids)))
        }
        return [found[i] for i in ids if i in found]

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
