"""The history a send reads is bounded by the context window: a send at message 1,000 reads as
many rows, in as many queries, as one at message 3,000 — only what the largest window could
hold (plus at most one page), never the whole conversation."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event

from lockgate.chat.history import branch_rows
from lockgate.conversations.tree import MessageTree
from lockgate.models import Message, MessageRole, MessageStatus
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, estimate_tokens
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation
from tests.fixtures.appkit import ApiClient

WINDOW = 8192
TEXT = "a sentence of about a dozen words, said again and again in this chat " * 2
PAGE = 64


async def chain(state: AppState, conversation_id: uuid.UUID, length: int) -> list[uuid.UUID]:
    """``length`` alternating turns, each the previous one's child; their ids, oldest first."""
    ids = [uuid.uuid4() for _ in range(length)]
    now = state.clock()
    async with state.sessionmaker() as db:
        db.add_all(
            Message(
                id=ids[i],
                conversation_id=conversation_id,
                seq=i + 1,
                parent_id=ids[i - 1] if i else None,
                role=MessageRole.USER if i % 2 == 0 else MessageRole.ASSISTANT,
                content=TEXT,
                status=MessageStatus.COMPLETE,
                created_at=now,
                updated_at=now,
            )
            for i in range(length)
        )
        await db.commit()
    return ids


async def read_cost(
    state: AppState, conversation_id: uuid.UUID, leaf: uuid.UUID
) -> tuple[int, int]:
    """(rows read, SELECT statements) of the send's history read."""
    selects: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            selects.append(statement)

    event.listen(state.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with state.sessionmaker() as db:
            rows = await branch_rows(MessageTree(db), conversation_id, leaf, budget_tokens=WINDOW)
    finally:
        event.remove(state.engine.sync_engine, "before_cursor_execute", count)
    return len(rows), len(selects)


async def test_a_send_reads_the_same_history_at_message_1000_and_3000(
    user_client: ApiClient, app_state: tuple[object, AppState]
) -> None:
    _, state = app_state
    short = uuid.UUID(await new_conversation(user_client))
    long = uuid.UUID(await new_conversation(user_client))
    thousand = await chain(state, short, 1_000)
    three_thousand = await chain(state, long, 3_000)
    at_1000 = await read_cost(state, short, thousand[-1])
    at_3000 = await read_cost(state, long, three_thousand[-1])
    assert at_1000 == at_3000
    fits = WINDOW // (estimate_tokens(TEXT) + PER_MESSAGE_OVERHEAD) + 1
    assert at_1000[0] <= fits + PAGE  # what the window can hold, plus at most one page
    assert at_1000[0] < 1_000


async def test_a_short_conversation_is_read_whole(
    user_client: ApiClient, app_state: tuple[object, AppState]
) -> None:
    _, state = app_state
    conversation = uuid.UUID(await new_conversation(user_client))
    ids = await chain(state, conversation, 10)
    async with state.sessionmaker() as db:
        rows = await branch_rows(MessageTree(db), conversation, ids[-1], budget_tokens=WINDOW)
    assert [r.id for r in rows] == ids
