"""How much guessing a secret would take, estimated in bits, to refuse weak ones at startup.

A length check let ``'a' * 32`` through as a production secret (issue 12). The estimate is the
smallest of four upper bounds, each of which a weak secret fails in its own way::

    estimate("a" * 32).bits                        # 0: one character repeated
    estimate("ab" * 16).bits                       # 32: two characters
    estimate("my-super-secret-production-key").bits  # ~66: common words and separators
    estimate(secrets.token_urlsafe(32)).bits       # ~200: random

* **alphabet**: length times log2 of the classes used (lower, upper, digits, symbols, other);
* **variety**: length times the Shannon entropy of its own characters (few distinct ones: low);
* **repetition**: 8 bits per byte of its zlib-compressed form (a pattern that repeats: low);
* **structure**: the cheapest reading of it as common words (:mod:`lockgate._common_words`),
  separators, runs like ``abcd``/``4321``/``aaaa``, years and digits, copies of an earlier
  part, and single characters.

None of them can make a weak secret look strong; together they credit a generated token with
about what it has. :data:`MIN_SECRET_BITS` (128) is met by ``secrets.token_urlsafe(32)`` (43
characters) or ``openssl rand -hex 32``, not by a 32-character hex token (its variety bound is
below 128: use a longer one).
"""

from __future__ import annotations

import math
import string
import zlib
from collections import Counter
from dataclasses import dataclass

from lockgate._common_words import COMMON_WORDS

MIN_SECRET_BITS = 128
GENERATE_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
KNOWN_EXAMPLES = frozenset(
    {
        "dev-insecure-secret-change-me",
        "replace-with-48-random-characters",
        "changeme",
        "change-me",
        "secret",
        "your-secret-key",
    }
)
"""Values published in Lockgate's own files or common templates: refused whatever their score."""

_WORD_BITS = math.log2(len(COMMON_WORDS) * 4)  # a pick from a list of about this size
_SEPARATOR_BITS = 2.0  # one of a few usual separators between words
_SEPARATORS = frozenset(" -_.:/+")
_MAX_RUN_DELTA = 1  # "aaaa" (0), "abcd" and "4321" (±1)
_ZLIB_OVERHEAD = len(zlib.compress(b"", 9))
_CLASSES = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)
_OTHER_CLASS_SIZE = 100
_MAX_ANALYSED = 256
_REASONS = {
    "alphabet": "it is too short for the characters it uses",
    "variety": "it uses too few different characters",
    "repetition": "it repeats itself",
    "structure": "it is made of common words, sequences or digits",
}


@dataclass(frozen=True, slots=True)
class Strength:
    bits: float
    weakest: str
    """Which bound gave ``bits`` (a key of the reasons above)."""

    @property
    def reason(self) -> str:
        return _REASONS[self.weakest]


def estimate(secret: str) -> Strength:
    """The estimated guessing entropy of ``secret`` in bits, and the bound that set it."""
    secret = secret[:_MAX_ANALYSED]  # a longer one is at least as strong as its start
    if not secret:
        return Strength(0.0, "alphabet")
    bounds = {
        "alphabet": len(secret) * _char_bits(secret),
        "variety": _variety_bits(secret),
        "repetition": _compressed_bits(secret),
        "structure": _structure_bits(secret),
    }
    weakest = min(bounds, key=lambda name: bounds[name])
    return Strength(bounds[weakest], weakest)


def secret_problem(name: str, secret: str) -> str | None:
    """Why ``secret`` (the setting ``name``) is too weak for production, or ``None``."""
    how = f"Generate one with: {GENERATE_HINT}"
    if secret.strip().lower() in KNOWN_EXAMPLES:
        return f"{name} is a published example value, not a secret. {how}"
    strength = estimate(secret)
    if strength.bits >= MIN_SECRET_BITS:
        return None
    return (
        f"{name} is too weak for production: about {strength.bits:.0f} bits of entropy, at "
        f"least {MIN_SECRET_BITS} needed ({strength.reason}). {how}"
    )


def _char_bits(secret: str) -> float:
    """log2 of the alphabet of the character classes ``secret`` uses."""
    chars = set(secret)
    size = sum(n for members, n in _CLASSES if chars & members)
    if any(not c.isascii() for c in chars):
        size += _OTHER_CLASS_SIZE
    return math.log2(max(size, 2))


def _variety_bits(secret: str) -> float:
    total = len(secret)
    return total * sum(n / total * math.log2(total / n) for n in Counter(secret).values())


def _compressed_bits(secret: str) -> float:
    return 8.0 * max(0, len(zlib.compress(secret.encode(), 9)) - _ZLIB_OVERHEAD)


def _structure_bits(secret: str) -> float:
    """The cheapest reading of ``secret`` as words, separators, runs, digits, copies and
    characters (dynamic programming over its prefixes; a character costs what the alphabet
    bound says, a copy where it starts and how long it is)."""
    text = secret.lower()
    n = len(text)
    char = _char_bits(secret)
    best = [0.0] + [math.inf] * n
    for i in range(n):
        here = best[i]
        if here == math.inf:
            continue
        best[i + 1] = min(best[i + 1], here + (_SEPARATOR_BITS if text[i] in _SEPARATORS else char))
        for j in range(i + 2, n + 1):
            piece = text[i:j]
            if piece in COMMON_WORDS:
                capitals = 1.0 if secret[i:j] != piece else 0.0
                best[j] = min(best[j], here + _WORD_BITS + capitals)
        for j in range(i + 3, n + 1):  # a copy of what came before (may overlap, as in LZ77)
            if text.find(text[i:j], 0, j - 1) < 0:
                break
            best[j] = min(best[j], here + math.log2(i + 1) + math.log2(j - i) + 1)
        run = _run_length(text, i)
        for j in range(i + 3, i + run + 1):
            best[j] = min(best[j], here + char + math.log2(j - i) + 1)
        digits = _digit_length(text, i)
        for j in range(i + 1, i + digits + 1):
            cost = 7.7 if j - i == 4 and text[i : i + 2] in ("19", "20") else (j - i) * 3.33
            best[j] = min(best[j], here + cost)
    return best[n]


def _run_length(text: str, start: int) -> int:
    """How long the run from ``start`` is whose characters step by one constant in -1, 0, 1."""
    if start + 1 >= len(text):
        return 1
    step = ord(text[start + 1]) - ord(text[start])
    if abs(step) > _MAX_RUN_DELTA:
        return 1
    end = start + 1
    while end + 1 < len(text) and ord(text[end + 1]) - ord(text[end]) == step:
        end += 1
    return end - start + 1


def _digit_length(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return end - start
