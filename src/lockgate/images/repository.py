"""Every image query. Ownership is part of every lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Image


class ImageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_owned(self, image_id: uuid.UUID, user_id: uuid.UUID) -> Image | None:
        return await self.session.scalar(
            select(Image).where(Image.id == image_id, Image.user_id == user_id)
        )

    async def add_all(self, images: Sequence[Image]) -> None:
        self.session.add_all(images)
        await self.session.flush()

    async def list_owned(
        self, user_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> Sequence[Image]:
        """Newest first; ``after`` is the (created_at, id) of the previous page's last row."""
        stmt = select(Image).where(Image.user_id == user_id)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(Image.created_at < at, and_(Image.created_at == at, Image.id < last_id))
            )
        stmt = stmt.order_by(Image.created_at.desc(), Image.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def delete(self, image: Image) -> None:
        await self.session.execute(delete(Image).where(Image.id == image.id))
