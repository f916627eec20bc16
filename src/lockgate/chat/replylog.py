"""A live reply's events as a bounded log: numbered, compacted when long, replayable from any point.

Both live-reply stores (this process's memory, a Redis stream) keep a reply the same way, so a
listener gets the same bytes whichever store and replica serves it:

* every event has a sequence number ``seq`` (0 = the ``message`` event); it is sent as the SSE
  ``id:``, so a client may resume with ``Last-Event-ID``;
* a reply is ``head`` events (``message``, ``fallback``), then ``delta`` events, then the tail
  (``usage``, and ``done`` or ``error``, the final event);
* a store keeps at most a bounded number of events. When it drops the oldest, a
  :class:`Checkpoint` keeps what they said in compact form: the head events and the text of the
  dropped deltas. A listener that starts (or falls) behind the retained events gets the
  checkpoint as the head events it has not had plus ONE delta with the text it is missing
  (:func:`catch_up`), then the retained events: nothing lost, nothing twice. Memory per reply is
  then the retained events plus the reply's text, whatever its length::

      log = ReplyLog(max_events=1000)
      log.append(event)                     # the owner, once per event
      async for seq, sse in log.follow(Cursor()):   # any number of listeners
          ...
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from lockgate.chat.events import ChatDeltaData, ChatDeltaEvent, ChatEvent, encode

FINAL_EVENTS = frozenset({"done", "error"})


def is_final(event: ChatEvent) -> bool:
    return event.event in FINAL_EVENTS


def with_id(seq: int, sse: bytes) -> bytes:
    """One encoded event with its SSE id (the reply-wide sequence number)."""
    return b"id: %d\n" % seq + sse


@dataclass(slots=True)
class Cursor:
    """Where a listener is: the next ``seq`` it wants, and how many characters of delta text it
    has had (``None`` when unknown: a client resuming with ``Last-Event-ID``)."""

    seq: int = 0
    text: int | None = 0


@dataclass(slots=True)
class Checkpoint:
    """Everything before ``upto`` (exclusive): the head events, then the deltas' text."""

    upto: int = 0
    head: list[bytes] = field(default_factory=list)
    text: str = ""


def catch_up(checkpoint: Checkpoint, cursor: Cursor) -> list[tuple[int, bytes]]:
    """The events that bring ``cursor`` to ``checkpoint.upto``; moves the cursor there.

    A cursor whose text position is unknown (resumed past dropped events) gets no text: it
    cannot be told apart from what it already showed; the final event carries the saved row.
    """
    if cursor.seq >= checkpoint.upto:
        return []
    out = [(seq, checkpoint.head[seq]) for seq in range(cursor.seq, len(checkpoint.head))]
    if cursor.text is not None:
        missing = checkpoint.text[cursor.text :]
        if missing:
            delta = ChatDeltaEvent(data=ChatDeltaData(text=missing))
            out.append((checkpoint.upto - 1, encode(delta)))
        cursor.text = len(checkpoint.text)
    cursor.seq = checkpoint.upto
    return out


@dataclass(slots=True)
class _Entry:
    sse: bytes
    text: str | None  # a delta's text, None for any other event


class ReplyLog:
    """One live reply in this process's memory (the in-process store, one per reply)."""

    def __init__(self, max_events: int) -> None:
        self._max = max(4, max_events)
        self._entries: deque[_Entry] = deque()
        self._base = 0  # seq of _entries[0]
        self.checkpoint = Checkpoint()
        self.finished = False
        self._wake = asyncio.Event()

    @property
    def next_seq(self) -> int:
        return self._base + len(self._entries)

    def append(self, event: ChatEvent) -> None:
        if self.finished:
            return  # the final event was the last one; anything later is a bug's echo
        text = event.data.text if isinstance(event, ChatDeltaEvent) else None
        self._entries.append(_Entry(encode(event), text))
        self.finished = is_final(event)
        if len(self._entries) > self._max:
            self._compact(len(self._entries) // 2)
        self._notify()

    def end(self) -> None:
        """No more events (the reply's task is over): listeners stop after the last one."""
        self.finished = True
        self._notify()

    def _notify(self) -> None:
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()

    def _compact(self, count: int) -> None:
        """Fold up to ``count`` of the oldest events into the checkpoint (head and deltas only:
        the tail is never folded, nor anything after it)."""
        checkpoint = self.checkpoint
        pieces = [checkpoint.text]
        for _ in range(count):
            entry = self._entries[0]
            if entry.text is not None:
                pieces.append(entry.text)
            elif self._base == len(checkpoint.head):  # nothing but head events before it
                checkpoint.head.append(entry.sse)
            else:
                break  # a non-delta event after the text began: keep it and what follows
            self._entries.popleft()
            self._base += 1
        checkpoint.text = "".join(pieces)
        checkpoint.upto = self._base

    async def follow(self, cursor: Cursor) -> AsyncIterator[tuple[int, bytes]]:
        """Every event from ``cursor`` on, then live ones until the final event."""
        while True:
            if cursor.seq < self._base:
                for item in catch_up(self.checkpoint, cursor):
                    yield item
                continue  # the log may have moved on meanwhile
            index = cursor.seq - self._base
            if index < len(self._entries):
                entry = self._entries[index]
                cursor.seq += 1
                if entry.text is not None and cursor.text is not None:
                    cursor.text += len(entry.text)
                yield cursor.seq - 1, entry.sse
                continue
            if self.finished:
                return
            await self._wake.wait()
