"""Token counts without a vendor tokenizer: one provable upper bound and one cheap estimate.

They answer different questions, and mixing them up either overspends or wastes context:

* `prompt_tokens_upper_bound` is for **money**. The budget reserves the cost of this many prompt
  tokens before a call, so it must never be below what the upstream will bill. Every BPE token
  (OpenAI's tiktoken encodings, Anthropic's tokenizer) covers at least one UTF-8 byte, hence
  `tokens(text) <= len(text.encode("utf-8"))`. Chat framing adds tokens outside the text:
  OpenAI documents 3 per message plus 1 for the role name and 3 to prime the reply, so we add
  `PER_MESSAGE_OVERHEAD` (4) per message and `REPLY_PRIMING` (3) once. Anthropic publishes no
  formula; its framing is of the same size, and the byte bound is loose enough (English BPE
  averages ~4 bytes per token) to absorb it for any non-trivial prompt. It overestimates
  ~4x for English, which is the price of never being wrong.
* `estimate_tokens` is for **fitting context**: trimming history to a context window where being
  off by 10-20% is fine. It is the usual ~4 characters per token for ASCII, but one token per
  non-ASCII character: CJK text runs at about one token per character, and a plain len/4 would
  underestimate it 4x and overflow the window it was meant to fit.

`simulated_tokenize` is the simulated provider's tokenizer (one word or one punctuation mark
per token). It is defined here so tests can check it stays under the upper bound.

>>> prompt_tokens_upper_bound([ChatMessage("user", "héllo")])  # 6 bytes + 4 + 3
13
>>> estimate_tokens("hello world, how are you?")
7
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lockgate.providers.base import ChatMessage

PER_MESSAGE_OVERHEAD = 4
REPLY_PRIMING = 3
CHARS_PER_TOKEN = 4

# Optional leading whitespace, then a run of word characters or a single other character.
# Pieces are disjoint and non-empty, so their count is <= the byte length of the text.
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")


def prompt_tokens_upper_bound(messages: Sequence[ChatMessage]) -> int:
    """A count no BPE tokenizer of OpenAI or Anthropic can exceed for this prompt."""
    content_bytes = sum(len(message.content.encode("utf-8")) for message in messages)
    return content_bytes + PER_MESSAGE_OVERHEAD * len(messages) + REPLY_PRIMING


def estimate_tokens(text: str) -> int:
    """A realistic token count: ~4 ASCII chars per token plus one per other character.

    At least 1 for non-empty text; never used for money (see the module docstring).

    >>> estimate_tokens("你好世界")
    4
    """
    if not text:
        return 0
    non_ascii = sum(1 for char in text if ord(char) > 0x7F)
    ascii_tokens = -(-(len(text) - non_ascii) // CHARS_PER_TOKEN)
    return max(1, ascii_tokens + non_ascii)


def simulated_pieces(text: str) -> list[str]:
    """Split text into simulated tokens, keeping leading whitespace so `"".join` restores it.

    Trailing whitespace is dropped; nothing else is.

    >>> simulated_pieces("Hi, you!")
    ['Hi', ',', ' you', '!']
    """
    return _PIECE.findall(text)


def iter_simulated_pieces(text: str) -> Iterator[str]:
    """`simulated_pieces` one at a time: taking the first few of a long text costs only those."""
    return (match.group(0) for match in _PIECE.finditer(text))


def simulated_prompt_tokens(messages: Sequence[ChatMessage]) -> int:
    """Prompt tokens as the simulated provider bills them (framing counted like the bound)."""
    pieces = sum(sum(1 for _ in _PIECE.finditer(message.content)) for message in messages)
    return pieces + PER_MESSAGE_OVERHEAD * len(messages) + REPLY_PRIMING
