"""Matching by words: which of a user's messages hold the words typed, ranked, with marked snippets.

The query is cut into words (letters and digits, any script), at most ``MAX_WORDS`` distinct ones;
English function words ("to", "the", "of"…) are left out unless the query holds nothing else
(they would match almost every message; its meaning still counts them).
The database returns the newest messages holding any of them (case-insensitive substring, the
same match the sidebar's filter makes, on SQLite and PostgreSQL alike); they are ranked here:

1. every word present before some of them;
2. the whole query as typed (a phrase) before the words apart;
3. more words present as whole words (``cat`` in "the cat", not in "category");
4. more occurrences; then the newest.

A snippet is a window of the text around the first match, with every match marked by its offsets
in the snippet (the client draws ``<mark>``; no HTML is built from a message here)::

    snippet("We booked a flight to Lisbon in May.", ["lisbon"], width=20)
    # Snippet(text='…a flight to Lisbon in May.', marks=[(13, 19)])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_WORDS = 8
SNIPPET_CHARS = 240
_WORD = re.compile(r"\w+", re.UNICODE)
ELLIPSIS = "…"
_FUNCTION_WORDS = """a an the to of in on at for by with and or nor but is are was were be been am
it its i me my we us our you your he she his her they them their this that these those from as do
does did how what which who whom when where why can could would should will shall may might there
here so if than then into onto about not no"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    marks: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Query:
    """A query, read: its text (trimmed, lower-cased) and its distinct words."""

    phrase: str
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        phrase = " ".join(text.split()).casefold()
        seen: dict[str, None] = {}
        for word in _WORD.findall(phrase):
            seen.setdefault(word, None)
        words = tuple(w for w in seen if w not in STOPWORDS) or tuple(seen)
        return cls(phrase, words[:MAX_WORDS])


def rank_key(query: Query, content: str) -> tuple[int, int, int, int] | None:
    """How well ``content`` matches (larger is better), None when it holds none of the words."""
    text = content.casefold()
    present = [w for w in query.words if w in text]
    if not present:
        return None
    whole = sum(1 for w in present if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))
    occurrences = sum(text.count(w) for w in present)
    phrase = len(query.words) > 1 and query.phrase in text
    return (int(len(present) == len(query.words)), int(phrase), whole, occurrences)


def snippet(content: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> Snippet:
    """A window of ``content`` around the first of ``terms`` found, every term in it marked."""
    flat = " ".join(content.split())
    folded = flat.casefold()
    if len(folded) != len(flat):  # a character whose case fold changes its length: no marks
        return Snippet(_clip(flat, 0, width), [])
    firsts = [at for at in (folded.find(t) for t in terms if t) if at != -1]
    start = 0
    if firsts and min(firsts) > width // 3:
        start = min(firsts) - width // 3
        space = flat.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(flat), start + width)
    text = _clip(flat, start, width)
    offset = len(ELLIPSIS) if start > 0 else 0
    marks = []
    for term in {t for t in terms if t}:
        for found in re.finditer(re.escape(term), folded[start:end]):
            marks.append((found.start() + offset, found.end() + offset))
    return Snippet(text, _merge(sorted(marks)))


def _clip(text: str, start: int, width: int) -> str:
    end = min(len(text), start + width)
    return (ELLIPSIS if start > 0 else "") + text[start:end] + (ELLIPSIS if end < len(text) else "")


def _merge(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in marks:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
