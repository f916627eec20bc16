"""Conversation titles: free from the first message by default, or asked of a model.

``chat.title_mode: model`` (with ``chat.title_model``) spends one small call per conversation;
the free title is set at once and replaced when the model answers. A failing title call only
logs: it never affects the reply.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.clock import Clock
from lockgate.models import Conversation, UsageKind, UsageOutcome, UsageRecord
from lockgate.observability.logging import get_logger
from lockgate.providers.base import (
    ChatMessage,
    ChatRequest,
    Provider,
    TextDelta,
    Usage,
    UsageReport,
)
from lockgate.providers.config import Price
from lockgate.providers.errors import ProviderError
from lockgate.providers.pricing import cost
from lockgate.usage.service import usage_values

log = get_logger("lockgate.chat.titles")
TITLE_PROMPT = (
    "Write a short title (at most six words, no quotes, no final punctuation) for a "
    "conversation that starts with this message:\n\n{content}"
)
MAX_TITLE_TOKENS = 24


async def title_with_model(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    provider: Provider,
    provider_name: str,
    model: str,
    upstream: str,
    price: Price,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    content: str,
) -> None:
    started = time.monotonic()
    request = ChatRequest(
        model=upstream,
        messages=[ChatMessage(role="user", content=TITLE_PROMPT.format(content=content[:2000]))],
        max_tokens=MAX_TITLE_TOKENS,
        temperature=0.2,
    )
    parts: list[str] = []
    usage: Usage | None = None
    error: ProviderError | None = None
    try:
        async for event in provider.stream_chat(request):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, UsageReport):
                usage = event.usage
    except ProviderError as exc:
        error = exc
        log.warning("title_failed", conversation_id=str(conversation_id), error=exc.code)
    title = " ".join("".join(parts).split()).strip(" \"'.")[:200]
    try:
        async with sessionmaker() as db:
            if title and error is None:
                await db.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id)
                    .values(title=title)
                )
            db.add(
                UsageRecord(
                    **usage_values(
                        user_id=user_id,
                        kind=UsageKind.TITLE,
                        provider=provider_name,
                        model=model,
                        outcome=UsageOutcome.ERROR if error else UsageOutcome.OK,
                        created_at=clock(),
                        input_tokens=usage.input_tokens if usage else 0,
                        output_tokens=usage.output_tokens if usage else 0,
                        cost_usd=cost(price, usage) if usage else cost(price, Usage(0, 0)),
                        latency_ms=int((time.monotonic() - started) * 1000),
                        error_code=error.code if error else None,
                    )
                )
            )
            await db.commit()
    except SQLAlchemyError as exc:
        log.error("title_save_failed", conversation_id=str(conversation_id), error=str(exc))
