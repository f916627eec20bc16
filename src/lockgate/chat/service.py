"""Turning a chat request into a running reply: validate, persist, resolve, start.

The user's message is committed before any provider is called, so it survives whatever happens
next. Services never commit on their own except here, where the ordering *is* the guarantee.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

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
from lockgate.chat.history import branch_rows, to_chat_messages, usable
from lockgate.chat.images import ChatImages
from lockgate.chat.manager import ChatManager
from lockgate.chat.schemas import EditMessageIn, RegenerateIn, SendMessageIn
from lockgate.chat.send_rows import Extra, RegenerateWrite, ReplyOf, SendWrite, SentRows
from lockgate.chat.titles import title_with_model
from lockgate.clock import Clock
from lockgate.conversations.branches import MessageNotFound, ensure_idle
from lockgate.conversations.repository import ConversationRepository, MessageRepository
from lockgate.conversations.schemas import MessageOut
from lockgate.conversations.service import ConversationNotFound
from lockgate.conversations.tree import MessageTree
from lockgate.db.engine import reading
from lockgate.db.writer import Job
from lockgate.documents.prompt import Source, with_sources
from lockgate.documents.retrieval import Retriever
from lockgate.errors import Conflict, UnknownModel, Unprocessable
from lockgate.gate import Gate, Skip, acquire_caller_limits
from lockgate.models import Attachment, Conversation, Message, MessageRole, MessageStatus, User
from lockgate.providers.base import ChatMessage
from lockgate.providers.config import ModelConfig
from lockgate.providers.registry import ProviderRegistry
from lockgate.settings import FileConfig

TITLE_LENGTH = 60


class MaxTokensTooLarge(Unprocessable):
    code = "max_tokens_too_large"


class EmptyMessage(Unprocessable):
    code = "empty_message"
    message = "The message is empty: write something or attach an image."


class NotEditable(Unprocessable):
    code = "not_editable"
    message = "Only your own messages can be edited; regenerate an answer instead."


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
        retriever: Retriever | None = None,
        images: ChatImages | None = None,
    ) -> None:
        """``sessionmaker``: a title is written after the request, in a session of its own;
        ``cache``: the response cache (None: off); ``retriever``: the conversation's documents
        as numbered sources in the prompt (None: documents are off); ``images``: attached images
        (None: the turns are text only)."""
        self.db = db
        self.file = file
        self.providers = providers
        self.gate = gate
        self.clock = clock
        self.manager = manager
        self.sessionmaker = sessionmaker
        self.cache = cache
        self.retriever = retriever
        self.images = images
        self.conversations = ConversationRepository(db)
        self.messages = MessageRepository(db)
        self.tree = MessageTree(db)

    def resolve_model(self, requested: str | None) -> ResolvedModel:
        file = self.file
        name = requested or file.effective_default_model
        model = file.models.get(name) if name else None
        if name is None or model is None or model.kind != "chat":
            available = ", ".join(file.chat_models) or "none"
            raise UnknownModel(f"Unknown chat model {requested!r}. Available: {available}.")
        return ResolvedModel(name, model)

    def resolve_max_tokens(
        self, model: ResolvedModel, requested: int | None, saved: int | None = None
    ) -> int:
        """``requested`` (the body's) must fit the model; ``saved`` (the conversation's, checked
        when it was set, perhaps for another model) is capped to it."""
        limit = model.config.max_output_tokens
        if requested is None:
            return min(saved or self.file.chat.default_max_tokens, limit)
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
        """A message after the current branch's last one (or after ``body.parent_id``)."""
        self._check_sendable(body)
        await reading(self.db)
        conversation = await self._owned_conversation(conversation_id, user)
        if body.parent_id is None:
            parent = await self.tree.leaf(conversation)
        else:
            parent = await self._in_conversation(conversation, body.parent_id)
            current = await self.tree.leaf(conversation)
            if current is None or parent.id != current.id:
                await ensure_idle(self.tree, conversation.id)  # a switch, in effect
        return await self._send_under(user, conversation, parent, body)

    async def edit(
        self, user: User, message_id: uuid.UUID, body: EditMessageIn
    ) -> Generation | CachedReply:
        """A new version of a user message: its sibling, answered on a new branch (the old
        branch is kept and can be switched back to)."""
        self._check_sendable(body)
        await reading(self.db)
        original = await self.owned_message(message_id, user)
        if original.role != MessageRole.USER:
            raise NotEditable()
        conversation = await self._owned_conversation(original.conversation_id, user)
        await ensure_idle(self.tree, conversation.id)
        parent = None
        if original.parent_id is not None:
            parent = await self._in_conversation(conversation, original.parent_id)
        return await self._send_under(user, conversation, parent, body)

    def _check_sendable(self, body: EditMessageIn) -> None:
        if not body.content.strip() and not body.attachment_ids:
            raise EmptyMessage()
        self.manager.check_accepting()  # draining: refused before anything is saved

    async def _in_conversation(self, conversation: Conversation, message_id: uuid.UUID) -> Message:
        message = await self.tree.get(conversation.id, message_id)
        if message is None:
            raise MessageNotFound()
        return message

    async def _send_under(
        self,
        user: User,
        conversation: Conversation,
        parent: Message | None,
        body: EditMessageIn,
    ) -> Generation | CachedReply:
        """Read (no write lock), look up the response cache, admit through the gate, then write
        the user message and the reply's placeholder in one short transaction: the write lock is
        never held across the history read or the admission's awaits. Called inside the read
        that found ``conversation`` and ``parent``."""
        # The body's parameters win; those it leaves out are the conversation's.
        model = self.resolve_model(body.model or conversation.model)
        max_tokens = self.resolve_max_tokens(model, body.max_tokens, conversation.max_tokens)
        temperature = _first(body.temperature, conversation.temperature)
        candidates = candidates_for(model.name, self.file, self.providers)
        attachments = await self._attachments(user, conversation, body, model)
        rows = await branch_rows(
            self.tree,
            conversation.id,
            parent.id if parent is not None else None,
            budget_tokens=_largest_window(candidates),
        )
        sources = await self._sources(user, conversation, body.content)
        system = with_sources(conversation.system_prompt, sources)
        turns = await self._turns(usable(rows), body.content, attachments, model)
        await self.db.commit()  # ends the read
        lookup = await self._lookup(
            user, model.name, system, turns, max_tokens, temperature, Controls()
        )
        if lookup is not None and lookup.entry is not None:
            return await self._replay(user, conversation, parent, body.content, lookup)
        plans = _seeing(
            turns,
            plans_for(candidates, system, turns, max_tokens=max_tokens, temperature=temperature),
        )
        # Admission before anything is saved: a refusal (budget, overload) loses nothing.
        admitted = await self._admit(model.name, plans, user)
        title = title_from(body.content) if not conversation.title else None
        job = SendWrite(
            conversation_id=conversation.id,
            parent_id=parent.id if parent is not None else None,
            content=body.content,
            title=title,
            reply_of=_reply_of(admitted),
            now=self.clock(),
            extras=self._extras(conversation.id, attachments, sources),
        )

        def start(rows: SentRows) -> Generation:
            if title is not None:
                set_committed_value(conversation, "title", title)  # saved by the job
                if self.file.chat.title_mode == "model":
                    self._title_with_model(conversation, user, body.content)
            return self._start(
                user,
                conversation,
                rows.user_message,
                rows.reply,
                plans,
                admitted,
                lookup,
                rows.siblings,
            )

        return await self._write_and_start(job.write, admitted, start)

    async def _write_and_start(
        self, job: Job[SentRows], admitted: Admitted, start: Callable[[SentRows], Generation]
    ) -> Generation:
        """The send's rows, committed by the group writer with other messages' writes, then the
        reply started. Refused or failed: the reservation is given back and nothing is saved.
        Cancelled once the rows are committed (the client went away, shutdown): the reply starts
        anyway, as for a client that disconnects mid-stream, so no ``streaming`` row is ever
        left without its generation."""
        writer = self.manager.writer
        write = writer.submit(job)
        try:
            rows = await writer.outcome(write)
        except asyncio.CancelledError:
            if write.committed:
                start(write.future.result())
            else:
                await admitted.ticket.abandoned(Decimal(0))
            raise
        except BaseException:
            await admitted.ticket.abandoned(Decimal(0))
            raise
        return start(rows)

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
        await ensure_idle(self.tree, conversation.id)  # another answer of it is being written
        model = self.resolve_model(body.model or conversation.model or original.model)
        max_tokens = self.resolve_max_tokens(model, body.max_tokens, conversation.max_tokens)
        temperature = _first(body.temperature, conversation.temperature)
        candidates = candidates_for(model.name, self.file, self.providers)
        parent = await self.db.get(Message, original.parent_id)
        if parent is None or parent.conversation_id != conversation.id:
            raise MessageNotFound()
        rows = await branch_rows(
            self.tree, conversation.id, parent.id, budget_tokens=_largest_window(candidates)
        )
        sources = await self._sources(user, conversation, parent.content)
        system = with_sources(conversation.system_prompt, sources)
        turns = await self._turns(usable(rows), None, [], model)
        await self.db.commit()  # ends the read
        plans = _seeing(
            turns,
            plans_for(candidates, system, turns, max_tokens=max_tokens, temperature=temperature),
        )
        # Another answer was asked for: never looked up, but stored (it replaces the old one).
        lookup = await self._lookup(
            user, model.name, system, turns, max_tokens, temperature, REGENERATE
        )
        admitted = await self._admit(model.name, plans, user)
        job = RegenerateWrite(
            conversation.id,
            parent,
            _reply_of(admitted),
            self.clock(),
            extras=self._extras(conversation.id, [], sources),
        )

        def start(rows: SentRows) -> Generation:
            return self._start(
                user, conversation, parent, rows.reply, plans, admitted, lookup, rows.siblings
            )

        return await self._write_and_start(job.write, admitted, start)

    @staticmethod
    def _extras(
        conversation_id: uuid.UUID, attachments: Sequence[Attachment], sources: Sequence[Source]
    ) -> tuple[Extra, ...]:
        """What the send's write adds: its images linked to the user message, the sources its
        reply is given (in the same transaction as the messages)."""
        extras: list[Extra] = []
        if attachments:

            async def link(db: AsyncSession, rows: SentRows) -> None:
                await ChatImages.link(db, conversation_id, rows.user_message.id, attachments)

            extras.append(link)
        if sources:

            async def record(db: AsyncSession, rows: SentRows) -> None:
                Retriever.record(db, rows.reply.id, sources)

            extras.append(record)
        return tuple(extras)

    async def _sources(self, user: User, conversation: Conversation, question: str) -> list[Source]:
        """The best passages of the conversation's documents for ``question`` (none without
        documents): they go into the system prompt, so the upper bound counts them."""
        if self.retriever is None:
            return []
        return await self.retriever.retrieve(self.db, user.id, conversation.id, question)

    async def _attachments(
        self, user: User, conversation: Conversation, body: EditMessageIn, model: ResolvedModel
    ) -> list[Attachment]:
        if not body.attachment_ids:
            return []
        if self.images is None:
            raise Unprocessable("Images cannot be attached here.", code="attachments_disabled")
        return await self.images.for_send(
            user.id,
            conversation.id,
            body.attachment_ids,
            model=model.name,
            vision=model.config.vision,
        )

    async def _turns(
        self,
        rows: list[Message],
        content: str | None,
        attachments: list[Attachment],
        model: ResolvedModel,
    ) -> list[ChatMessage]:
        """What the model sees: the branch (with its images) and the new turn, if any."""
        if self.images is not None:
            return await self.images.turns(rows, content, attachments, vision=model.config.vision)
        turns = to_chat_messages(rows)
        return turns if content is None else [*turns, ChatMessage(role="user", content=content)]

    async def _lookup(
        self,
        user: User,
        model: str,
        system: str,
        turns: list[ChatMessage],
        max_tokens: int,
        temperature: float | None,
        controls: Controls,
    ) -> Lookup | None:
        """Step 2 of the call path, before admission (a hit reserves nothing). Turns with
        images are never looked up or stored: the cache's key is the text alone."""
        if self.cache is None or any(turn.images for turn in turns):
            return None
        request = cache_request(
            self.cache.policy,
            user,
            model,
            system,
            turns,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        with paid_by(self.cache, Owner(user.id)):  # a configured embedding model bills the user
            return await self.cache.lookup(request, controls)

    async def _replay(
        self,
        user: User,
        conversation: Conversation,
        parent: Message | None,
        content: str,
        lookup: Lookup,
    ) -> CachedReply:
        """A hit: the user message, the finished reply and the hit's usage row, in one commit."""
        entry = lookup.entry
        assert entry is not None
        assert self.cache is not None
        now = self.clock()
        user_message = await self.messages.add(
            Message(
                conversation_id=conversation.id,
                seq=await self._next_seq(conversation.id, now),
                parent_id=parent.id if parent is not None else None,
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
        await self.tree.set_leaf(conversation, reply.id)
        siblings = await self.tree.siblings(conversation.id, [user_message, reply])
        await self.db.commit()
        return CachedReply(conversation.title, user_message, reply, row["saved_usd"], siblings)

    async def _next_seq(self, conversation_id: uuid.UUID, now: datetime) -> int:
        """The next position; the conversation may have been deleted since it was read."""
        try:
            return await self.conversations.next_seq(conversation_id, now)
        except NoResultFound:
            raise ConversationNotFound() from None

    async def _admit(self, model: str, plans: list[Plan | None], user: User) -> Admitted:
        first = next((p for p in plans if p is not None), None)
        if first is not None:  # the team's and the user's own rpm/tpm, before any budget
            await acquire_caller_limits(self.gate, user.id, None, first.tokens)
        skips: list[Skip] = []
        admitted = await admit_first(self.gate, plans, start=0, user_id=user.id, skips=skips)
        if admitted is None:
            raise refusal(model, skips, self.gate)
        return admitted

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
        siblings: Mapping[uuid.UUID, list[uuid.UUID]],
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
                    user_message=_out(user_message, siblings),
                    assistant_message=_out(reply, siblings),
                    max_cost_usd=admitted.plan.upper_bound,
                )
            ),
        )


def _out(message: Message, siblings: Mapping[uuid.UUID, list[uuid.UUID]]) -> MessageOut:
    return MessageOut.model_validate(message).model_copy(
        update={"sibling_ids": siblings.get(message.id, [])}
    )


def _seeing(turns: Sequence[ChatMessage], plans: list[Plan | None]) -> list[Plan | None]:
    """Turns with images: a fallback that cannot see them is skipped (the primary was checked
    before, `ChatImages.for_send`), rather than answering without what it was asked about."""
    if not any(turn.images for turn in turns):
        return plans
    return [p if p is None or p.candidate.config.vision else None for p in plans]


def _reply_of(admitted: Admitted) -> ReplyOf:
    candidate = admitted.plan.candidate
    return ReplyOf(model=candidate.model, provider=candidate.provider_name)


def _first(given: float | None, saved: float | None) -> float | None:
    return given if given is not None else saved


def _largest_window(candidates: Sequence[Candidate]) -> int:
    return max((c.config.context_window for c in candidates), default=0)
