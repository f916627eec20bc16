"""Every share query. The owner's lookups include the owner; the public one, the token's hash."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Share, ShareMessage

INSERT_BATCH = 500


class ShareRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, share: Share, messages: Sequence[dict[str, Any]]) -> Share:
        self.session.add(share)
        await self.session.flush()
        rows = [{**m, "share_id": share.id} for m in messages]
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            # Every column given, so NULL means NULL: one statement per batch (see transfer).
            await self.session.execute(
                insert(ShareMessage), batch, execution_options={"render_nulls": True}
            )
        return share

    async def get_owned(self, share_id: uuid.UUID, user_id: uuid.UUID) -> Share | None:
        return await self.session.scalar(
            select(Share).where(Share.id == share_id, Share.user_id == user_id)
        )

    async def list_owned(
        self, user_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> Sequence[Share]:
        """Newest first; ``after`` is the previous page's last (created_at, id)."""
        stmt = select(Share).where(Share.user_id == user_id)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(Share.created_at < at, and_(Share.created_at == at, Share.id < last_id))
            )
        stmt = stmt.order_by(Share.created_at.desc(), Share.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def by_token_hash(self, digest: str) -> Share | None:
        return await self.session.scalar(select(Share).where(Share.token_hash == digest))

    async def messages(self, share_id: uuid.UUID) -> Sequence[ShareMessage]:
        stmt = select(ShareMessage).where(ShareMessage.share_id == share_id)
        return (await self.session.scalars(stmt.order_by(ShareMessage.seq))).all()

    async def delete(self, share: Share) -> None:
        await self.session.execute(delete(Share).where(Share.id == share.id))
