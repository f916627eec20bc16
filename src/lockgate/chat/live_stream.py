"""The entry format of a live reply's Redis stream, and its reader (see ``live_redis.py``).

An entry holds the events one flush wrote: ``n`` the seq of its first event, ``k`` how many,
``l`` characters of delta text up to its end, ``d`` the SSE-encoded events one after another,
``f`` when it ends with the final event. A checkpoint entry (``c``) holds everything before seq
``n`` in compact form: the head events ``h`` and the text ``x`` (see
:class:`~lockgate.chat.replylog.Checkpoint`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lockgate.chat.replylog import Checkpoint, Cursor, catch_up, with_id

_SEP = b"\n\n"


def split_events(data: bytes) -> list[bytes]:
    """Concatenated SSE events back into single ones (JSON data never holds a raw newline)."""
    return [part + _SEP for part in data.split(_SEP) if part]


@dataclass(slots=True)
class Outgoing:
    """What the owner knows of one stream: what it wrote, and what waits to be written."""

    seq: int = 0
    entries: int = 0
    head: list[bytes] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    text_len: int = 0
    pending: list[tuple[bytes, str | None, bool]] = field(default_factory=list)
    ended: bool = False


class StreamReader:
    """Turns one listener's stream entries into SSE events, once each, in order."""

    def __init__(self, cursor: Cursor, last_id: bytes | str = "0-0") -> None:
        self.cursor = cursor
        self.last_id = last_id
        self.gap = False
        self.done = False

    def take(self, entry_id: bytes, fields: dict[bytes, bytes]) -> list[bytes]:
        self.last_id = entry_id
        cursor = self.cursor
        if b"c" in fields:
            if not self.gap:
                return []  # a checkpoint of what this reader already had
            self.gap = False
            checkpoint = Checkpoint(
                upto=int(fields[b"n"]),
                head=split_events(fields[b"h"]),
                text=fields[b"x"].decode(),
            )
            return [with_id(seq, sse) for seq, sse in catch_up(checkpoint, cursor)]
        first, events, final = int(fields[b"n"]), split_events(fields[b"d"]), b"f" in fields
        if first > cursor.seq and not self.gap:
            self.gap = True  # trimmed away: the next checkpoint covers it
        out, last_sent = [], False
        if not self.gap:
            for offset, sse in enumerate(events):
                last_sent = first + offset >= cursor.seq
                if last_sent:
                    out.append(with_id(first + offset, sse))
                    cursor.seq = first + offset + 1
            cursor.text = int(fields[b"l"])
        if final:
            self.done = True
            if not last_sent:  # a final event written by a survivor, or past a gap
                out.append(with_id(cursor.seq, events[-1]))
        return out


Pending = list[tuple[bytes, str | None, bool]]


def fold(head: list[bytes], text: list[str], seq: int, events: Pending) -> None:
    """Add ``events`` (starting at ``seq``) to a checkpoint's head events and text."""
    for offset, (sse, piece, _) in enumerate(events):
        if piece is not None:
            text.append(piece)
        elif not text and len(head) == seq + offset:  # nothing but head events before it
            head.append(sse)


def entry_of(out: Outgoing, events: Pending) -> dict[str, bytes]:
    text_len = out.text_len + sum(len(text) for _, text, _ in events if text is not None)
    entry = {
        "n": str(out.seq).encode(),
        "k": str(len(events)).encode(),
        "l": str(text_len).encode(),
        "d": b"".join(sse for sse, _, _ in events),
    }
    if events[-1][2]:
        entry["f"] = b"1"
    return entry


def checkpoint_of(out: Outgoing, events: Pending) -> dict[str, bytes]:
    """Everything up to the end of ``events`` in compact form (see replylog.Checkpoint)."""
    head, text = list(out.head), list(out.text)
    fold(head, text, out.seq, events)
    return {
        "c": b"1",
        "n": str(out.seq + len(events)).encode(),
        "h": b"".join(head),
        "x": "".join(text).encode(),
    }


def _parse(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def newer(entry_id: bytes | str, than: bytes | str) -> bool:
    return _parse(entry_id) > _parse(than)


def after(entry_id: bytes | str) -> str:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return "(" + text
