"""Live replies in Redis streams, so any replica can re-attach a listener or stop a reply.

Each live reply has one stream, ``lockgate:reply_events:<message id>``. Its owner appends the
events; every listener, on any replica (the owner's own included), reads them back: ``XRANGE``
from where it is, then the live tail from the :class:`~lockgate.chat.live_hub.StreamHub`. One
entry holds the events one flush wrote::

    n  seq of its first event      d  the events, SSE-encoded, one after another
    k  how many events             l  characters of delta text up to its end
    f  "1" when it ends with the final event (``done`` or ``error``)

One writer task per process flushes every reply's pending events in one pipeline, one ``XADD``
per reply per flush: while a round trip is in flight the next events gather, so a busy process
makes fewer, larger writes instead of one per token. Streams are capped (``MAXLEN ~``); every
``checkpoint_every`` entries the owner adds a checkpoint entry (``c``: head events ``h``, the text
so far ``x``, covering seqs below ``n``) so a reader that finds the start trimmed away still gets
the whole reply (see :mod:`lockgate.chat.replylog`). A stream expires ``expire_seconds`` after
its final event (and an hour after its last write, should every replica die).

A stop on a replica that does not own the reply is an entry in ``lockgate:reply_stops``, which
every hub reads: the owner cancels the generation (the normal stop path), the asker waits for
the final event on the reply's stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from lockgate.chat.events import ChatDeltaEvent, ChatEvent, encode
from lockgate.chat.live import FinalOf, LiveReply, StopHandler
from lockgate.chat.live_hub import Entry, Lagged, StreamHub
from lockgate.chat.live_stream import (
    Outgoing,
    StreamReader,
    after,
    checkpoint_of,
    entry_of,
    fold,
    newer,
)
from lockgate.chat.replylog import Cursor, is_final, with_id
from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested

log = get_logger("lockgate.chat")
STOP_KEY = "lockgate:reply_stops"
IDLE_EXPIRE_SECONDS = 3600
PAGE = 200
CATCH_UP_READS = 16
"""Catch-up reads (``XRANGE``) in flight at once per process: a burst of re-attaching tabs
waits its turn instead of taking the whole pool the gate's budget checks share."""


class _RedisReply:
    def __init__(self, store: RedisLiveReplies, message_id: uuid.UUID) -> None:
        self._store = store
        self._message_id = message_id

    def publish(self, event: ChatEvent) -> None:
        self._store.enqueue(self._message_id, event)

    def end(self) -> None:
        self._store.end(self._message_id)

    def follow(self, cursor: Cursor | None = None) -> AsyncIterator[bytes]:
        return self._store.follow(self._message_id, cursor or Cursor())


class RedisLiveReplies:
    def __init__(
        self,
        redis: Redis,
        *,
        max_events: int = 10_000,
        expire_seconds: float = 300.0,
        idle_check_seconds: float = 20.0,
        block_seconds: float = 1.0,
    ) -> None:
        """``redis``: the shared client (its pool's socket timeout must exceed
        ``block_seconds``: the hub's blocking read takes one of its connections)."""
        self._redis = redis
        self._max_entries = max(16, max_events)
        self._checkpoint_every = self._max_entries // 2 - 1
        self._expire = max(1, int(expire_seconds))
        self._idle = idle_check_seconds
        self._block = block_seconds
        self._out: dict[uuid.UUID, Outgoing] = {}
        self._dirty = asyncio.Event()
        self._idle_writer = asyncio.Event()
        self._idle_writer.set()
        self._writer: asyncio.Task[None] | None = None
        self._hub: StreamHub | None = None
        self._final_of: FinalOf | None = None
        self._reads = asyncio.Semaphore(CATCH_UP_READS)

    @staticmethod
    def key(message_id: uuid.UUID) -> str:
        return f"lockgate:reply_events:{message_id}"

    @property
    def hub(self) -> StreamHub:
        assert self._hub is not None, "start() first"
        return self._hub

    async def start(self, on_stop: StopHandler, final_of: FinalOf) -> None:
        self._final_of = final_of
        self._hub = StreamHub(
            self._redis,
            stop_key=STOP_KEY,
            on_stop=on_stop,
            block_seconds=self._block,
        )
        await self._hub.start()
        self._writer = asyncio.create_task(self._write_loop(), name="reply-stream-writer")

    async def aclose(self) -> None:
        """Write what is pending (the final events of replies cut at shutdown), then stop."""
        if self._writer is not None:
            if self._out:
                try:
                    async with asyncio.timeout(5):
                        await self.flushed()
                except TimeoutError:
                    log.warning("reply_events_unflushed", replies=len(self._out))
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        if self._hub is not None:
            await self._hub.aclose()
            self._hub = None

    # -- the owner's side ---------------------------------------------------------------------

    def open(self, message_id: uuid.UUID) -> LiveReply:
        self._out[message_id] = Outgoing()
        return _RedisReply(self, message_id)

    def enqueue(self, message_id: uuid.UUID, event: ChatEvent) -> None:
        out = self._out.get(message_id)
        if out is None or out.ended:
            return
        text = event.data.text if isinstance(event, ChatDeltaEvent) else None
        out.pending.append((encode(event), text, is_final(event)))
        if is_final(event):
            out.ended = True
        self._mark_dirty()

    def end(self, message_id: uuid.UUID) -> None:
        out = self._out.get(message_id)
        if out is not None:
            out.ended = True
            self._mark_dirty()

    def _mark_dirty(self) -> None:
        self._idle_writer.clear()
        self._dirty.set()

    async def flushed(self) -> None:
        """Until everything published so far is in Redis (tests, shutdown)."""
        await self._idle_writer.wait()

    async def _write_loop(self) -> None:
        delay = 0.05
        while not cancel_requested():  # see lockgate/tasks.py
            await self._dirty.wait()
            self._dirty.clear()
            batch = {mid: out for mid, out in self._out.items() if out.pending or out.ended}
            try:
                await self._write(batch)
            except Exception as exc:  # Redis away (or a bug): the events stay pending
                if isinstance(exc, RedisError):
                    log.warning("reply_events_not_written", replies=len(batch), error=str(exc))
                else:
                    log.exception("reply_events_not_written", replies=len(batch))
                self._dirty.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.05
            if not self._dirty.is_set():
                self._idle_writer.set()

    async def _write(self, batch: dict[uuid.UUID, Outgoing]) -> None:
        if not batch:
            return
        written: list[tuple[uuid.UUID, Outgoing, int, bool]] = []
        async with self._redis.pipeline(transaction=False) as pipe:
            for message_id, out in batch.items():
                key, events = self.key(message_id), list(out.pending)
                if events:
                    pipe.xadd(key, entry_of(out, events), **self._cap())  # type: ignore[arg-type]
                    if out.entries % self._checkpoint_every == self._checkpoint_every - 1:
                        checkpoint = checkpoint_of(out, events)
                        pipe.xadd(key, checkpoint, **self._cap())  # type: ignore[arg-type]
                pipe.expire(key, self._expire if out.ended else IDLE_EXPIRE_SECONDS)
                written.append((message_id, out, len(events), out.ended))
            await pipe.execute()
        for message_id, out, taken, ended in written:
            events = out.pending[:taken]
            fold(out.head, out.text, out.seq, events)
            out.seq += taken
            out.text_len += sum(len(text) for _, text, _ in events if text is not None)
            if len(out.text) > 256:  # one string rather than a small object per token
                out.text[:] = ["".join(out.text)]
            out.entries += 1 if taken else 0
            del out.pending[:taken]
            if ended and not out.pending:
                self._out.pop(message_id, None)

    def _cap(self) -> dict[str, int | bool]:
        return {"maxlen": self._max_entries, "approximate": True}

    # -- any replica ---------------------------------------------------------------------------

    async def attach(
        self, message_id: uuid.UUID, cursor: Cursor | None = None
    ) -> AsyncIterator[bytes] | None:
        try:
            if not await self._redis.exists(self.key(message_id)):
                return None
        except RedisError as exc:  # the saved reply is served instead
            log.warning("reply_stream_unreadable", message_id=str(message_id), error=str(exc))
            return None
        return self.follow(message_id, cursor or Cursor())

    async def follow(
        self, message_id: uuid.UUID, cursor: Cursor, last_id: bytes | str = "0-0"
    ) -> AsyncIterator[bytes]:
        """The stream's events from ``cursor`` (after entry ``last_id``) to the final one."""
        key, reader = self.key(message_id), StreamReader(cursor, last_id)
        while not reader.done:
            sub = await self.hub.subscribe(key, reader.last_id)
            try:
                for chunk in await self._catch_up(key, reader):
                    yield chunk
                while not reader.done:
                    try:
                        entry = await sub.get(self._idle)
                    except TimeoutError:
                        for chunk in await self._check_over(message_id, key, reader):
                            yield chunk
                        continue
                    if newer(entry[0], reader.last_id):
                        for chunk in reader.take(*entry):
                            yield chunk
            except Lagged:
                continue  # re-read from the stream, where it fell behind
            except RedisError as exc:  # Redis away: the database may know the end meanwhile
                log.warning("reply_stream_unreadable", message_id=str(message_id), error=str(exc))
                for chunk in await self._end_from_database(message_id, reader):
                    yield chunk
                if not reader.done:
                    await asyncio.sleep(1.0)
            finally:
                self.hub.unsubscribe(sub)

    async def _catch_up(self, key: str, reader: StreamReader) -> list[bytes]:
        out: list[bytes] = []
        while not reader.done:
            async with self._reads:
                page = await self._redis.xrange(key, min=after(reader.last_id), count=PAGE)
            entries = cast(list[Entry], page)
            for entry in entries:
                out.extend(reader.take(*entry))
                if reader.done:
                    break
            if len(entries) < PAGE:
                break
        return out

    async def _check_over(
        self, message_id: uuid.UUID, key: str, reader: StreamReader
    ) -> list[bytes]:
        """Nothing came for a while: if the database says the reply is over and its final
        event never reached the stream (its owner died, Redis lost it), end with the saved
        one rather than wait for ever."""
        if await self._final_of_reply(message_id) is None:
            return []
        out = await self._catch_up(key, reader)
        return out + await self._end_from_database(message_id, reader)

    async def _final_of_reply(self, message_id: uuid.UUID) -> bytes | None:
        assert self._final_of is not None, "start() first"
        return await self._final_of(message_id)

    async def _end_from_database(self, message_id: uuid.UUID, reader: StreamReader) -> list[bytes]:
        """The saved final event, if the reply is over and the stream did not end it."""
        if reader.done:
            return []
        final = await self._final_of_reply(message_id)
        if final is None:
            return []
        reader.done = True
        return [with_id(reader.cursor.seq, final)]

    async def request_stop(self, message_id: uuid.UUID, within: float) -> bool:
        key = self.key(message_id)
        try:
            last = cast(list[Entry], await self._redis.xrevrange(key, count=1))
            if not last:
                return False
            last_id, fields = last[0]
            if b"f" in fields:
                return True
            await self._redis.xadd(STOP_KEY, {"m": str(message_id)}, maxlen=1000, approximate=True)
            seq = int(fields.get(b"n", b"0")) + int(fields.get(b"k", b"0"))
            async with asyncio.timeout(within):
                async for _ in self.follow(message_id, Cursor(seq=seq, text=None), last_id):
                    pass
        except (RedisError, TimeoutError) as exc:  # the caller closes the row itself
            log.warning("reply_stop_unanswered", message_id=str(message_id), error=repr(exc))
            return False
        return True

    async def publish_final(self, message_id: uuid.UUID, event: ChatEvent) -> None:
        key = self.key(message_id)
        try:
            last = cast(list[Entry], await self._redis.xrevrange(key, count=1))
            if not last or b"f" in last[0][1]:
                return  # nobody can be listening, or it has ended already
            fields = last[0][1]
            seq = int(fields.get(b"n", b"0")) + int(fields.get(b"k", b"0"))
            entry = {"n": seq, "k": 1, "l": fields.get(b"l", b"0"), "d": encode(event), "f": 1}
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.xadd(key, entry, **self._cap())  # type: ignore[arg-type]
                pipe.expire(key, self._expire)
                await pipe.execute()
        except RedisError as exc:  # listeners end at their next idle check
            log.warning("reply_final_not_published", message_id=str(message_id), error=str(exc))
