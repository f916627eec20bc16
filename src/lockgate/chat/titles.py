"""Conversation titles: free from the first message by default, or asked of a model.

``chat.title_mode: model`` (with ``chat.title_model``) spends one small call per conversation;
the free title is set at once and replaced when the model answers. That call is a paid call like
any other (`lockgate.calls.runner`): admitted by the gate against the user's and provider's
budgets and the breaker, settled, one usage row per attempt. A failing or refused title call
only logs: it never affects the reply.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.calls.candidates import Candidate, admit_first, plan
from lockgate.calls.context import ContextTooLong
from lockgate.calls.runner import Attempt, CallRunner, Sleep, attempt_usage
from lockgate.calls.usage import SessionUsage
from lockgate.clock import Clock
from lockgate.errors import AppError
from lockgate.gate import Gate, RetrySettings, Skip
from lockgate.models import Conversation, UsageKind
from lockgate.observability.logging import get_logger
from lockgate.providers.base import ChatMessage

log = get_logger("lockgate.chat.titles")
TITLE_PROMPT = (
    "Write a short title (at most six words, no quotes, no final punctuation) for a "
    "conversation that starts with this message:\n\n{content}"
)
MAX_TITLE_TOKENS = 24
ONE_TRY = RetrySettings(attempts=1)  # a title is not worth a retry


async def title_with_model(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    gate: Gate,
    candidate: Candidate,
    sleep: Sleep,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    content: str,
) -> None:
    prompt = ChatMessage(role="user", content=TITLE_PROMPT.format(content=content[:2000]))
    try:
        planned = plan(candidate, "", [prompt], max_tokens=MAX_TITLE_TOKENS, temperature=0.2)
        skips: list[Skip] = []
        admitted = await admit_first(gate, [planned], start=0, user_id=user_id, skips=skips)
    except (ContextTooLong, AppError) as exc:
        log.info("title_skipped", conversation_id=str(conversation_id), reason=exc.code)
        return
    if admitted is None:
        reason = skips[0].reason if skips else "unknown"
        log.info("title_refused", conversation_id=str(conversation_id), reason=reason)
        return
    runner = CallRunner(
        gate,
        [planned],
        admitted,
        user_id=user_id,
        retry=ONE_TRY,
        sleep=sleep,
        on_delta=lambda _attempt, _text: None,
        metrics=gate.metrics,
    )
    try:
        last = await runner.run()
    finally:
        await _save(sessionmaker, clock, runner.attempts, conversation_id, user_id)
    if last.error is not None:
        log.warning("title_failed", conversation_id=str(conversation_id), error=last.error.code)


async def _save(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    attempts: list[Attempt],
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """The title (if the last attempt gave one) and every attempt's usage row, in one commit."""
    last = attempts[-1] if attempts else None
    title = " ".join(last.content.split()).strip(" \"'.")[:200] if last else ""
    try:
        async with sessionmaker() as db:
            if last is not None and title and last.error is None:
                await db.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id)
                    .values(title=title)
                )
            usage = SessionUsage(db)
            for attempt in attempts:
                usage.add(
                    attempt_usage(
                        attempt, user_id=user_id, created_at=clock(), kind=UsageKind.TITLE
                    )
                )
            await db.commit()
    except SQLAlchemyError as exc:
        log.error("title_save_failed", conversation_id=str(conversation_id), error=str(exc))
