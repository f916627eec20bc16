"""Repository behaviour that depends on the database engine, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from lockgate.conversations.repository import ConversationRepository
from lockgate.models import Conversation, Message, MessageRole, User
from lockgate.state import AppState


async def _conversation(state: AppState) -> uuid.UUID:
    async with state.sessionmaker() as db:
        user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x")
        db.add(user)
        await db.flush()
        conversation = Conversation(user_id=user.id, title="t")
        db.add(conversation)
        await db.commit()
        return conversation.id


async def test_concurrent_message_positions_are_unique_and_dense(state: AppState) -> None:
    cid = await _conversation(state)

    async def take() -> int:
        async with state.sessionmaker() as db:
            seq = await ConversationRepository(db).next_seq(cid, state.clock())
            await db.commit()
            return seq

    seqs = await asyncio.gather(*(take() for _ in range(20)))
    assert sorted(seqs) == list(range(1, 21))


async def test_money_round_trips_exactly(state: AppState) -> None:
    cid = await _conversation(state)
    amount = Decimal("12345.00000001")
    async with state.sessionmaker() as db:
        message = Message(conversation_id=cid, seq=1, role=MessageRole.ASSISTANT, cost_usd=amount)
        db.add(message)
        await db.commit()
        mid = message.id
    async with state.sessionmaker() as db:
        loaded = await db.get(Message, mid)
        assert loaded is not None
        assert loaded.cost_usd == amount
        assert str(loaded.cost_usd) == "12345.00000001"


async def test_timestamps_come_back_timezone_aware(state: AppState) -> None:
    cid = await _conversation(state)
    async with state.sessionmaker() as db:
        loaded = await db.get(Conversation, cid)
        assert loaded is not None
        assert loaded.created_at.utcoffset() is not None


async def test_deleting_a_conversation_cascades_to_messages(state: AppState) -> None:
    cid = await _conversation(state)
    async with state.sessionmaker() as db:
        db.add(Message(conversation_id=cid, seq=1, role=MessageRole.USER, content="hi"))
        await db.commit()
    async with state.sessionmaker() as db:
        conversation = await db.get(Conversation, cid)
        assert conversation is not None
        await ConversationRepository(db).delete(conversation)
        await db.commit()
    async with state.sessionmaker() as db:
        from sqlalchemy import func, select

        count = await db.scalar(select(func.count()).select_from(Message))
        assert count == 0
