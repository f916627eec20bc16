"""Cutting a document's sections into overlapping chunks that the embedder reads whole.

A chunk is at most ``size`` characters (about 250 MiniLM tokens at the default 1,000, the most the
model reads), cut at a paragraph, else a sentence, else a word boundary in its second half; the
next chunk starts ``overlap`` characters before the cut (at a word), so a sentence split by a cut
is whole in one of the two. Chunks never span two pages: a citation's page is exact::

    chunk([Section(3, text)], size=1000, overlap=150)   # [Chunk(0, 3, '…'), Chunk(1, 3, '…')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lockgate.documents.parsing import Section

_SPACES = re.compile(r"[ \t\f\v\r]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    page: int | None
    text: str


def normalise(text: str) -> str:
    """Runs of spaces folded, paragraphs kept (one blank line between them)."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def chunk(sections: Sequence[Section], *, size: int, overlap: int) -> list[Chunk]:
    if not 0 <= overlap < size // 2:
        raise ValueError(f"overlap must be in [0, size/2), got {overlap} for size {size}")
    chunks: list[Chunk] = []
    for section in sections:
        for text in _windows(normalise(section.text), size, overlap):
            chunks.append(Chunk(len(chunks), section.page, text))
    return chunks


def _windows(text: str, size: int, overlap: int) -> list[str]:
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            end = _cut(text, start + size // 2, end)
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        if end >= len(text):
            break
        start = _next_start(text, max(end - overlap, start + 1), end)
    return out


def _cut(text: str, low: int, high: int) -> int:
    """The best boundary in ``text[low:high]``: just after the last paragraph break, else
    sentence end, else word; ``high`` when there is none (one very long word)."""
    for mark in _BREAKS:
        at = text.rfind(mark, low, high)
        if at != -1:
            return at + len(mark)
    return high


def _next_start(text: str, at: int, end: int) -> int:
    """Move a start inside a word to the word's end (never past ``end``)."""
    if at <= 0 or text[at - 1].isspace():
        return at
    space = text.find(" ", at, end)
    return end if space == -1 else space + 1
