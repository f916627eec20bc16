"""A stored answer streamed again: its text in pieces, as a live stream would deliver it."""

from __future__ import annotations

PIECE_CHARS = 24


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """The text in pieces of about ``size`` characters, cut after a space when there is one
    (joined, they are the text exactly)::

        >>> pieces("The capital of France is Paris.", 12)
        ['The capital ', 'of France ', 'is Paris.']
    """
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space + 1 if space > start else end
        out.append(text[start:end])
        start = end
    return out
