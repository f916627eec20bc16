"""Turning a chat request into a running reply: validate, persist, resolve, start.

The user's message is committed before any provider is called, so it survives whatever happens
next. Services never commit on their own except here, where the ordering *is* the guarantee.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.cache.policy import REGENERATE, Controls
from lockgate.cache.service import Lookup, ResponseCache
from lockgate.calls.cached import hit_usage, paid_by, save_attempt
from lockgate.calls.candidates import (
    Admitted,
    Candidate,
    Plan,
    admit_first,
    as_candidate,
    candidates_for,
    plans_for,
    refusal,
)
from lockgate.calls.once import Owner
from lockgate.calls.runner import Attempt
from lockgate.calls.usage import SessionUsage
from lockgate.chat.cached import CachedReply, cache_request
from lockgate.chat.events import ChatMessageData, ChatMessageEvent
from lockgate.chat.generation import Generation, GenerationSpec
from lockgate.chat.history import active_branch, recent_rows, to_chat_messages
from lockgate.chat.manager import ChatManager
from lockgate.chat.schemas import RegenerateIn, SendMessageIn
from lockgate.chat.titles import title_with_model
from lockgate.clock import Clock
from lockgate.conversations.repository import ConversationRepository, MessageRepository
from lockgate.conversations.schemas import MessageOut
from lockgate.conversations.service import ConversationNotFound
from lockgate.db.engine import reading
from lockgate.errors import Conflict, NotFound, UnknownModel, Unprocessable
from lockgate.gate import Gate, Skip
from lockgate.models import Conversation, Message, MessageRole, MessageStatus, User
from lockgate.providers.base import ChatMessage
from lockgate.providers.config import ModelConfig
from lockgate.providers.registry import ProviderRegistry
from lockgate.settings import FileConfig

TITLE_LENGTH = 60


class MaxTokensTooLarge(Unprocessable):
    code = "max_tokens_too_large"


class EmptyMessage(Unprocessable):
    code = "empty_message"
    message = "The message is empty."


class MessageNotFound(NotFound):
    message = "Message not found."


class StillStreaming(Conflict):
    code = "still_streaming"
    message = "This reply is still being generated; stop it first."


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    name: str
    config: ModelConfig


def title_from(content: str) -> str:
    """A title from the first message, free: first line, whitespace folded, cut at a word."""
    text = re.sub(r"\s+", " ", content).strip()
    if len(text) <= TITLE_LENGTH:
        return text or "New chat"
    cut = text[:TITLE_LENGTH].rsplit(" ", 1)[0]
    return (cut if len(cut) >= TITLE_LENGTH // 2 else text[:TITLE_LENGTH]).rstrip(" ,.;:") + "…"


class ChatService:
    def __init__(
        self,
        db: AsyncSession,
        *,
        file: FileConfig,
        providers: ProviderRegistry,
        gate: Gate,
        clock: Clock,
        manager: ChatManager,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: ResponseCache | None = None,
    ) -> None:
        """``sessionmaker``: a title is written after the request, in a session of its own;
        ``cache``: the response cache (None: off)."""
        self.db = db
        self.file = file
        self.providers = providers
        self.gate = gate
        self.clock = clock
        self.manager = manager
        self.sessionmaker = sessionmaker
        self.cache = cache
        self.conversations = ConversationRepository(db)
        self.messages = MessageRepository(db)

    def resolve_model(self, requested: str | None) -> ResolvedModel:
        file = self.file
        name = requested or file.effective_default_model
        model = file.models.get(name) if name else None
        if name is None or model is None or model.kind != "chat":
            available = ", ".join(file.chat_models) or "none"
            raise UnknownModel(f"Unknown chat model {requested!r}. Available: {available}.")
        return ResolvedModel(name, model)

    def resolve_max_tokens(self, model: ResolvedModel, requested: int | None) -> int:
        limit = model.config.max_output_tokens
        if requested is None:
            return min(self.file.chat.default_max_tokens, limit)
        if requested > limit:
            raise MaxTokensTooLarge(
                f"max_tokens {requested} is more than {model.name} allows ({limit})."
            )
        return requested

    async def _owned_conversation(self, conversation_id: uuid.UUID, user: User) -> Conversation:
        conversation = await self.conversations.get_owned(conversation_id, user.id)
        if conversation is None:
            raise ConversationNotFound()
        return conversation

    async def owned_message(self, message_id: uuid.UUID, user: User) -> Message:
        message = await self.messages.get_owned(message_id, user.id)
        if message is None:
            raise MessageNotFound()
        return message

    async def send(
        self, user: User, conversation_id: uuid.UUID, body: SendMessageIn
    ) -> Generation | CachedReply:
        """Read (no write lock), look up the response cache, admit through the gate, then write
        the user message and the reply's placeholder in one short transaction: the write lock is
        never held across the history read or the admission's awaits."""
        if not body.content.strip():
            raise EmptyMessage()
        self.manager.check_accepting()  # draining: refused before anything is saved
        model = self.resolve_model(body.model)
        max_tokens = self.resolve_max_tokens(model, body.max_tokens)
        candidates = candidates_for(model.name, self.file, self.providers)
        await reading(self.db)
        conversation = await self._owned_conversation(conversation_id, user)
        rows = await recent_rows(
            self.messages, conversation.id, budget_tokens=_largest_window(candidates)
        )
        await self.db.commit()  # ends the read
        turns = [
            *to_chat_messages(active_branch(rows)),
            ChatMessage(role="user", content=body.content),
        ]
        lookup = await self._lookup(
            user, conversation, model.name, turns, max_tokens, body.temperature, Controls()
        )
        if lookup is not None and lookup.entry is not None:
            return await self._replay(user, conversation, body.content, lookup)
        plans = plans_for(
            candidates,
            conversation.system_prompt,
            turns,
            max_tokens=max_tokens,
            temperature=body.temperature,
        )
        # Admission before anything is saved: a refusal (budget, overload) loses nothing.
        admitted = await self._admit(model.name, plans, user)
        try:
            now = self.clock()
            user_message = await self.messages.add(
                Message(
                    conversation_id=conversation.id,
                    seq=await self._next_seq(conversation.id, now),
                    role=MessageRole.USER,
                    content=body.content,
                    status=MessageStatus.COMPLETE,
                    created_at=now,
                    updated_at=now,
                    finished_at=now,
                )
            )
            needs_title = not conversation.title
            if needs_title:
                conversation.title = title_from(body.content)
            reply = await self._placeholder(conversation, user_message, admitted, now)
            await self.db.commit()
        except BaseException:
            await self.db.rollback()
            await admitted.ticket.abandoned(Decimal(0))
            raise
        if needs_title and self.file.chat.title_mode == "model":
            self._title_with_model(conversation, user, body.content)
        return self._start(user, conversation, user_message, reply, plans, admitted, lookup)

    async def regenerate(self, user: User, message_id: uuid.UUID, body: RegenerateIn) -> Generation:
        self.manager.check_accepting()
        await reading(self.db)
        original = await self.owned_message(message_id, user)
        if original.role != MessageRole.ASSISTANT or original.parent_id is None:
            raise Unprocessable(
                "Only an assistant reply can be regenerated.", code="not_regenerable"
            )
        if original.status == MessageStatus.STREAMING or self.manager.get(original.id):
            raise StillStreaming()  # generating here or on another replica
        conversation = await self._owned_conversation(original.conversation_id, user)
        model = self.resolve_model(body.model or original.model)
        max_tokens = self.resolve_max_tokens(model, body.max_tokens)
        candidates = candidates_for(model.name, self.file, self.providers)
        parent = await self.db.get(Message, original.parent_id)
        if parent is None or parent.conversation_id != conversation.id:
            raise MessageNotFound()
        rows = await recent_rows(
            self.messages,
            conversation.id,
            budget_tokens=_largest_window(candidates),
            through_seq=parent.seq,
        )
        await self.db.commit()  # ends the read
        turns = to_chat_messages(active_branch(rows, up_to=parent))
        plans = plans_for(
            candidates,
            conversation.system_prompt,
            turns,
            max_tokens=max_tokens,
            temperature=body.temperature,
        )
        # Another answer was asked for: never looked up, but stored (it replaces the old one).
        lookup = await self._lookup(
            user, conversation, model.name, turns, max_tokens, body.temperature, REGENERATE
        )
        admitted = await self._admit(model.name, plans, user)
        try:
            reply = await self._placeholder(conversation, parent, admitted, self.clock())
            await self.db.commit()
        except BaseException:
            await self.db.rollback()
            await admitted.ticket.abandoned(Decimal(0))
            raise
        return self._start(user, conversation, parent, reply, plans, admitted, lookup)

    async def _lookup(
        self,
        user: User,
        conversation: Conversation,
        model: str,
        turns: list[ChatMessage],
        max_tokens: int,
        temperature: float | None,
        controls: Controls,
    ) -> Lookup | None:
        """Step 2 of the call path, before admission (a hit reserves nothing)."""
        if self.cache is None:
            return None
        request = cache_request(
            self.cache.policy,
            user,
            model,
            conversation.system_prompt,
            turns,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        with paid_by(self.cache, Owner(user.id)):  # a configured embedding model bills the user
            return await self.cache.lookup(request, controls)

    async def _replay(
        self, user: User, conversation: Conversation, content: str, lookup: Lookup
    ) -> CachedReply:
        """A hit: the user message, the finished reply and the hit's usage row, in one commit."""
        entry = lookup.entry
        assert entry is not None
        assert self.cache is not None
        now = self.clock()
        user_message = await self.messages.add(
            Message(
                conversation_id=conversation.id,
                seq=await self.conversations.next_seq(conversation.id, now),
                role=MessageRole.USER,
                content=content,
                status=MessageStatus.COMPLETE,
                created_at=now,
                updated_at=now,
                finished_at=now,
            )
        )
        if not conversation.title:
            conversation.title = title_from(content)
        reply = await self.messages.add(
            Message(
                conversation_id=conversation.id,
                seq=await self.conversations.next_seq(conversation.id, now),
                created_at=now,
                updated_at=now,
                finished_at=now,
                parent_id=user_message.id,
                role=MessageRole.ASSISTANT,
                content=entry.text,
                status=MessageStatus.COMPLETE,
                model=entry.model,
                provider=entry.provider,
                input_tokens=entry.input_tokens,
                output_tokens=entry.output_tokens,
                cost_usd=Decimal(0),
                latency_ms=0,
                cached=True,
            )
        )
        row = hit_usage(
            self.cache,
            lookup,
            user_id=user.id,
            created_at=now,
            conversation_id=conversation.id,
            message_id=reply.id,
        )
        SessionUsage(self.db).add(row)
        await self.db.commit()
        return CachedReply(conversation.title, user_message, reply, row["saved_usd"])

    async def _next_seq(self, conversation_id: uuid.UUID, now: datetime) -> int:
        """The next position; the conversation may have been deleted since it was read."""
        try:
            return await self.conversations.next_seq(conversation_id, now)
        except NoResultFound:
            raise ConversationNotFound() from None

    async def _admit(self, model: str, plans: list[Plan | None], user: User) -> Admitted:
        first = next((p for p in plans if p is not None), None)
        await self.gate.check_user_rates(user.id, first.tokens if first is not None else 0)
        skips: list[Skip] = []
        admitted = await admit_first(self.gate, plans, start=0, user_id=user.id, skips=skips)
        if admitted is None:
            raise refusal(model, skips, self.gate)
        return admitted

    async def _placeholder(
        self, conversation: Conversation, parent: Message, admitted: Admitted, now: datetime
    ) -> Message:
        candidate = admitted.plan.candidate
        return await self.messages.add(
            Message(
                conversation_id=conversation.id,
                seq=await self._next_seq(conversation.id, now),
                created_at=now,
                updated_at=now,
                parent_id=parent.id,
                role=MessageRole.ASSISTANT,
                content="",
                status=MessageStatus.STREAMING,
                model=candidate.model,
                provider=candidate.provider_name,
            )
        )

    def _title_with_model(self, conversation: Conversation, user: User, content: str) -> None:
        chat = self.file.chat
        model = self.resolve_model(chat.title_model)
        self.manager.spawn(
            title_with_model(
                sessionmaker=self.sessionmaker,
                clock=self.clock,
                gate=self.gate,
                candidate=as_candidate(model.name, model.config, self.providers),
                sleep=self.manager.retry_sleep,
                conversation_id=conversation.id,
                user_id=user.id,
                content=content,
            ),
            name=f"title-{conversation.id}",
        )

    def _start(
        self,
        user: User,
        conversation: Conversation,
        user_message: Message,
        reply: Message,
        plans: list[Plan | None],
        admitted: Admitted,
        lookup: Lookup | None,
    ) -> Generation:
        completed = None
        cache = self.cache
        if cache is not None and lookup is not None:

            async def completed(last: Attempt) -> bool:
                with paid_by(cache, Owner(user.id)):
                    return await save_attempt(cache, lookup, last)

        spec = GenerationSpec(
            message_id=reply.id,
            conversation_id=conversation.id,
            user_id=user.id,
            plans=plans,
            first=admitted,
            gate=self.gate,
            retry=self.file.gate.retry,
            completed=completed,
        )
        return self.manager.start(
            spec,
            ChatMessageEvent(
                data=ChatMessageData(
                    conversation_id=str(conversation.id),
                    conversation_title=conversation.title,
                    user_message=MessageOut.model_validate(user_message),
                    assistant_message=MessageOut.model_validate(reply),
                    max_cost_usd=admitted.plan.upper_bound,
                )
            ),
        )


def _largest_window(candidates: Sequence[Candidate]) -> int:
    return max((c.config.context_window for c in candidates), default=0)
