"""Fitting a conversation into one candidate's context window (newest turns kept first).

Used by every chat-shaped call (chat replies, ``/v1`` chat translated for a non-OpenAI provider):
the reply's ``max_tokens`` is kept free, the system prompt always stays, the newest user turn
must fit or the call is refused before anything is reserved.
"""

from __future__ import annotations

from collections.abc import Sequence

from lockgate.errors import Unprocessable
from lockgate.providers.base import ChatMessage
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, estimate_tokens


class ContextTooLong(Unprocessable):
    code = "context_length_exceeded"


def _cost(message: ChatMessage) -> int:
    return estimate_tokens(message.content) + PER_MESSAGE_OVERHEAD


def fit_to_context(
    system_prompt: str,
    turns: Sequence[ChatMessage],
    *,
    context_window: int,
    max_tokens: int,
    model: str,
) -> list[ChatMessage]:
    """Newest turns first until the window (minus the reply's ``max_tokens``) is full."""
    budget = context_window - max_tokens
    system = [ChatMessage(role="system", content=system_prompt)] if system_prompt.strip() else []
    used = sum(_cost(m) for m in system)
    if not turns or used + _cost(turns[-1]) > budget:
        raise ContextTooLong(
            f"The message is too long for {model}: its context window is {context_window} tokens "
            f"and {max_tokens} are kept for the reply. Shorten it or lower max_tokens."
        )
    kept: list[ChatMessage] = []
    for message in reversed(turns):
        cost = _cost(message)
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    # A history must not start with an assistant turn (Anthropic rejects it, others get confused).
    while kept and kept[0].role == "assistant":
        kept.pop(0)
    return system + kept
