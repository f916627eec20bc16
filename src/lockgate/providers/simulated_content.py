"""Deterministic content for the simulated provider: replies, PNG images, embeddings.

Pure functions of their inputs (prompt, seed, index), so a test or a demo gets the same output
on every machine and every run. Hashing uses SHA-256/BLAKE2, never `hash()`, which is salted
per process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import random
import re
import textwrap
from collections.abc import Iterator, Sequence
from itertools import islice

from PIL import Image, ImageDraw, ImageFont

from lockgate.providers.tokenizer import iter_simulated_pieces, simulated_pieces

EMBEDDING_DIM = 64
ECHO_PIECES = 8

_SUBJECTS = (
    "The short answer",
    "A careful reading",
    "This question",
    "The usual approach",
    "A simple example",
    "Experience",
    "The documentation",
    "A second look",
)
_VERBS = ("suggests", "shows", "depends on", "points to", "comes down to", "highlights")
_OBJECTS = (
    "a few clear steps",
    "the main trade offs",
    "good defaults",
    "the context you gave",
    "what matters most",
    "a practical plan",
    "the simplest option",
)
_TAILS = ("", "", " in practice", " for now", " in most cases", " with a little care")
_WORD = re.compile(r"\w+")


def _rng(*parts: object) -> random.Random:
    material = "\x00".join(str(part) for part in parts).encode("utf-8")
    return random.Random(hashlib.sha256(material).digest())


def _opening(prompt: str) -> str:
    echo = "".join(islice(iter_simulated_pieces(prompt), ECHO_PIECES)).strip()
    return f'You asked about "{echo}".' if echo else "You sent a message without words."


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_TAILS)}."
    )


def iter_reply_pieces(prompt: str, seed: int, length: int | None = None) -> Iterator[str]:
    """The reply to `prompt` as simulated tokens (each with its leading space), made lazily.

    It starts by quoting the prompt, so replies to different prompts are easy to tell apart.
    Natural length is 2-5 sentences after that; `length` forces an exact token count instead.
    Each step builds at most one sentence, so a caller that stops after `max_tokens` pieces
    never pays for more, whatever `length` asked for (`[[tokens:N]]` comes from users).
    """
    rng = _rng("reply", seed, prompt)
    opening = simulated_pieces(_opening(prompt))
    natural_sentences = rng.randint(2, 5)
    if length is None:
        yield from opening
        for _ in range(natural_sentences):
            yield from simulated_pieces(" " + _sentence(rng))
        return
    yield from opening[:length]
    produced = min(len(opening), length)
    while produced < length:
        sentence = simulated_pieces(" " + _sentence(rng))[: length - produced]
        produced += len(sentence)
        yield from sentence


def iter_cited_pieces(prompt: str, sentences: list[str]) -> Iterator[str]:
    """The opening of `iter_reply_pieces`, then one sentence per cited source
    (`simulated_citations.cited_sentences`)."""
    yield from simulated_pieces(_opening(prompt))
    for sentence in sentences:
        yield from simulated_pieces(sentence)


def reply_pieces(prompt: str, seed: int, length: int | None = None) -> list[str]:
    """`iter_reply_pieces` as a list, for callers that want the whole (small) reply.

    >>> "".join(reply_pieces("What is HTTP?", seed=0))[:30]
    'You asked about "What is HTTP?'
    """
    return list(iter_reply_pieces(prompt, seed, length))


def render_png(prompt: str, seed: int, index: int, width: int, height: int) -> bytes:
    """A `width`x`height` PNG: shapes and colours chosen by a hash, the prompt written on it."""
    rng = _rng("image", seed, index, prompt)
    background = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 8)):
        xs = sorted((rng.randrange(width), rng.randrange(width)))
        ys = sorted((rng.randrange(height), rng.randrange(height)))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((xs[0], ys[0], xs[1], ys[1]), fill=colour)
    font = ImageFont.load_default()
    text = textwrap.fill(" ".join(prompt.split())[:240], width=max(8, width // 8))
    if not isinstance(font, ImageFont.FreeTypeFont):  # the bitmap fallback is Latin-1 only
        text = text.encode("latin-1", errors="replace").decode("latin-1")
    luminance = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]
    ink = (0, 0, 0) if luminance > 140 else (255, 255, 255)
    draw.multiline_text((8, 8), text, fill=ink, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def hashed_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A unit vector from a bag of hashed lower-cased words (the "hashing trick").

    Texts sharing most words share most coordinates, so near-duplicates have a high cosine
    similarity and unrelated texts a low one, which is what cache and search tests need.
    """
    vector = [0.0] * dim
    for word in _WORD.findall(text.lower()) or [text]:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "big") % dim
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:  # every word cancelled out: fall back to one hashed axis
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % dim] = 1.0
        return vector
    return [value / norm for value in vector]


SIMULATED_IMAGE_TOKENS = 85
"""Prompt tokens the simulated provider bills per image (OpenAI's low-detail figure)."""


def _image_summary(url: str) -> str:
    """'a 640x480 PNG of 12,345 bytes', from a data URL's header; a URL is never fetched."""
    header, comma, data = url.partition(",")
    if not url.startswith("data:") or not comma:
        return "an image at a URL (not fetched)"
    kind = header.removeprefix("data:").split(";", 1)[0].removeprefix("image/").upper()
    size = len(data) // 4 * 3 - data[-2:].count("=")
    try:
        with Image.open(io.BytesIO(base64.b64decode(data[: 4 * 16 * 1024]))) as image:
            width, height = image.size
    except (OSError, ValueError, SyntaxError, binascii.Error):
        return f"a {kind} of {size:,} bytes"
    return f"a {width}x{height} {kind} of {size:,} bytes"


def describe_images(urls: Sequence[str]) -> str:
    """The simulated provider's deterministic look at a turn's images, said before its reply.

    >>> describe_images(["https://example.com/cat.png"])
    'I see 1 image: an image at a URL (not fetched).'
    """
    count = len(urls)
    return (
        f"I see {count} image{'s' if count != 1 else ''}: "
        + "; ".join(_image_summary(url) for url in urls)
        + "."
    )
