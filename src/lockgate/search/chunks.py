"""Splitting a message into the passages that are embedded.

An embedding model reads a bounded text (the local model: 256 tokens, ~1,000 characters), so a
long answer embedded whole would be found only by its beginning. Each passage is embedded on its
own and a message matches by its best passage::

    passages("First paragraph.\\n\\nSecond one.", size=20)   # ['First paragraph.', 'Second one.']

Cuts fall on a paragraph, then a sentence, then a space when one is near the limit. At most
``MAX_PASSAGES`` are kept: the rest of a very long message is found by its words only.
"""

from __future__ import annotations

PASSAGE_CHARS = 1_000
MAX_PASSAGES = 16
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


def passages(text: str, *, size: int = PASSAGE_CHARS, limit: int = MAX_PASSAGES) -> list[str]:
    """The non-empty passages of ``text``, in order, each at most ``size`` characters."""
    if size < 1 or limit < 1:
        raise ValueError("size and limit must be >= 1")
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < limit:
        if len(rest) <= size:
            out.append(rest)
            break
        cut = _cut_at(rest, size)
        piece = rest[:cut].strip()
        if piece:
            out.append(piece)
        rest = rest[cut:].lstrip()
    return out


def _cut_at(text: str, size: int) -> int:
    """Where to cut ``text`` (longer than ``size``): after the last break in its second half."""
    window = text[:size]
    for mark in _BREAKS:
        at = window.rfind(mark, size // 2)
        if at != -1:
            return at + len(mark)
    return size
