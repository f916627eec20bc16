"""Share logic: snapshot, list, revoke, and the public read.

The snapshot is the branch the owner sees (`chat.history.shown_branch`: each question with its
shown reply; a reply still being written is left out), copied row by row. Revoking deletes the
link and its copy: an unknown and a revoked token are then the same 404, by construction.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.attachments.repository import AttachmentRepository
from lockgate.chat.history import shown_branch
from lockgate.clock import Clock
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.conversations.repository import MessageRepository
from lockgate.conversations.service import owned_conversation
from lockgate.errors import NotFound
from lockgate.inputs import Instant
from lockgate.models import Share, ShareMessage
from lockgate.shares.repository import ShareRepository
from lockgate.shares.schemas import PublicMessage, PublicShare, ShareOut, SharePage
from lockgate.shares.tokens import new_token, token_hash, well_formed

PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
"""On every answer of the public endpoint, found or not: never indexed, never kept by a cache
(a revoked link must stop working at once), and the secret URL never sent on as a referrer."""


class ShareNotFound(NotFound):
    code = "share_not_found"
    message = "This share link does not exist or was revoked."


class PublicShareNotFound(ShareNotFound):
    def __init__(self) -> None:
        super().__init__(headers=PUBLIC_HEADERS)


def _not_shared(images: int) -> str:
    """Images stay private (their files are served to their owner only): a shared copy of a
    message says how many it had instead."""
    if not images:
        return ""
    return f"\n\n*[{images} image{'s' if images > 1 else ''} not included in the shared copy]*"


class ShareService:
    def __init__(self, db: AsyncSession, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.shares = ShareRepository(db)
        self.messages = MessageRepository(db)

    async def create(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> tuple[Share, str]:
        """A new link to a copy of the conversation as it is now; the token, once."""
        conversation = await owned_conversation(self.db, conversation_id, user_id)
        shown = shown_branch(conversation, await self.messages.all_for(conversation.id))
        images = Counter(
            message_id
            for message_id, _ in await AttachmentRepository(self.db).of_messages(
                [m.id for m in shown]
            )
        )
        copied: list[dict[str, Any]] = [
            {
                "id": uuid.uuid4(),
                "seq": seq,
                "role": m.role,
                "content": m.content + _not_shared(images[m.id]),
                "model": m.model,
                "created_at": m.created_at,
            }
            for seq, m in enumerate(shown, start=1)
        ]
        token = new_token()
        share = Share(
            user_id=user_id,
            conversation_id=conversation.id,
            token_hash=token_hash(token),
            title=conversation.title,
            message_count=len(copied),
            created_at=self.clock(),
        )
        await self.shares.add(share, copied)
        return share, token

    async def list(self, user_id: uuid.UUID, *, limit: int, cursor: str | None) -> SharePage:
        after = None
        if cursor:
            data = decode_cursor(cursor, c=Instant, i=uuid.UUID)
            after = (data["c"], data["i"])
        rows = await self.shares.list_owned(user_id, limit=limit + 1, after=after)
        items, more = rows[:limit], len(rows) > limit
        last = items[-1] if items else None
        next_cursor = (
            encode_cursor(c=last.created_at.isoformat(), i=str(last.id)) if more and last else None
        )
        return SharePage(items=[ShareOut.model_validate(s) for s in items], next_cursor=next_cursor)

    async def revoke(self, user_id: uuid.UUID, share_id: uuid.UUID) -> None:
        share = await self.shares.get_owned(share_id, user_id)
        if share is None:
            raise ShareNotFound()
        await self.shares.delete(share)

    async def public(self, token: str) -> PublicShare:
        share = await self.shares.by_token_hash(token_hash(token)) if well_formed(token) else None
        if share is None:
            raise PublicShareNotFound()
        rows: list[ShareMessage] = list(await self.shares.messages(share.id))
        return PublicShare(
            title=share.title,
            shared_at=share.created_at,
            messages=[PublicMessage.model_validate(m) for m in rows],
        )
