"""A chat reply answered from the response cache: saved at once, streamed like a live one.

The user message and the assistant row (complete, ``cached``, cost 0) are committed together with
the hit's usage row, before anything is streamed; the events are the usual sequence (message,
deltas, usage, done), so the web UI renders it like any reply and shows a "cached" badge from
``cached`` on the row and on the usage event. Re-attaching (``GET /messages/{id}/stream``)
replays the saved row like any finished reply.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal

from lockgate.cache.keys import CacheRequest
from lockgate.cache.policy import CachePolicy
from lockgate.cache.replay import pieces
from lockgate.chat.events import (
    ChatDeltaData,
    ChatDeltaEvent,
    ChatDoneData,
    ChatDoneEvent,
    ChatEvent,
    ChatMessageData,
    ChatMessageEvent,
    ChatUsageData,
    ChatUsageEvent,
    encode,
)
from lockgate.conversations.schemas import MessageOut
from lockgate.models import Message, MessageStatus, User
from lockgate.providers.base import ChatMessage


def cache_request(
    policy: CachePolicy,
    user: User,
    model: str,
    system_prompt: str,
    turns: Sequence[ChatMessage],
    *,
    max_tokens: int,
    temperature: float | None,
) -> CacheRequest:
    """The web chat's cache shape: the user's scope, the whole conversation as sent."""
    params: dict[str, object] = {"max_tokens": max_tokens}
    if temperature is not None:
        params["temperature"] = temperature
    return CacheRequest.chat(
        policy.scope(user_id=user.id),
        model,
        system_prompt,
        [(turn.role, turn.content) for turn in turns],
        params,
    )


class CachedReply:
    """A finished reply's events, for the endpoint's stream (the same interface as a live one)."""

    def __init__(
        self,
        conversation_title: str | None,
        user_message: Message,
        reply: Message,
        saved_usd: Decimal,
        siblings: Mapping[uuid.UUID, list[uuid.UUID]] | None = None,
    ) -> None:
        """``siblings``: the ids sharing each message's parent, for the first event."""
        self.message_id = reply.id
        final = MessageOut.model_validate(reply)
        ids = siblings or {}
        first = ChatMessageData(
            conversation_id=str(reply.conversation_id),
            conversation_title=conversation_title,
            user_message=MessageOut.model_validate(user_message).model_copy(
                update={"sibling_ids": ids.get(user_message.id, [])}
            ),
            assistant_message=final.model_copy(update={"sibling_ids": ids.get(reply.id, [])}),
            max_cost_usd=Decimal(0),
        )
        usage = ChatUsageData(
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            cost_usd=Decimal(0),
            cost_exact=True,
            latency_ms=reply.latency_ms,
            provider=reply.provider,
            model=reply.model,
            cached=True,
            saved_usd=saved_usd,
        )
        events: list[ChatEvent] = [ChatMessageEvent(data=first)]
        events += [ChatDeltaEvent(data=ChatDeltaData(text=p)) for p in pieces(reply.content)]
        events.append(ChatUsageEvent(data=usage))
        events.append(ChatDoneEvent(data=ChatDoneData(status=MessageStatus.COMPLETE, final=final)))
        self._frames = [encode(event) for event in events]

    async def listen(self) -> AsyncIterator[bytes]:
        for frame in self._frames:
            yield frame
