import pytest

from lockgate.providers import ChatMessage, estimate_tokens, prompt_tokens_upper_bound
from lockgate.providers.tokenizer import (
    PER_MESSAGE_OVERHEAD,
    REPLY_PRIMING,
    simulated_pieces,
    simulated_prompt_tokens,
)

TEXTS = [
    "",
    "a",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog. " * 20,
    "東京は日本の首都です。大阪は二番目に大きい都市です。",
    "👩‍👩‍👧‍👦 family emoji, 🇫🇷 flag, 🙂🙃",
    "naïve café — “quotes” … ellipsis",
    "def f(x):\n\treturn x ** 2  # code\n",
    "   leading and trailing whitespace   ",
    "a\u0301e\u0301 combining accents",
]


@pytest.mark.parametrize("text", TEXTS)
def test_bound_covers_every_utf8_byte_plus_framing(text: str) -> None:
    messages = [ChatMessage("user", text)]
    bound = prompt_tokens_upper_bound(messages)
    assert bound == len(text.encode("utf-8")) + PER_MESSAGE_OVERHEAD + REPLY_PRIMING


@pytest.mark.parametrize("text", TEXTS)
def test_simulated_count_never_exceeds_the_bound(text: str) -> None:
    messages = [ChatMessage("system", text), ChatMessage("user", text + "?")]
    assert simulated_prompt_tokens(messages) <= prompt_tokens_upper_bound(messages)


@pytest.mark.parametrize("text", TEXTS)
def test_simulated_pieces_restore_the_text(text: str) -> None:
    assert "".join(simulated_pieces(text)) == text.rstrip()


def test_bound_adds_framing_per_message() -> None:
    messages = [ChatMessage("system", "ab"), ChatMessage("user", "cd")]
    assert prompt_tokens_upper_bound(messages) == 4 + 2 * PER_MESSAGE_OVERHEAD + REPLY_PRIMING


def test_empty_conversation_still_counts_reply_priming() -> None:
    assert prompt_tokens_upper_bound([]) == REPLY_PRIMING


@pytest.mark.parametrize(
    ("text", "expected"), [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)]
)
def test_estimate_is_about_four_ascii_characters_per_token(text: str, expected: int) -> None:
    assert estimate_tokens(text) == expected


def test_estimate_counts_each_cjk_character() -> None:
    assert estimate_tokens("数据库 pool") == 3 + 2


@pytest.mark.parametrize("text", TEXTS)
def test_estimate_never_exceeds_the_upper_bound(text: str) -> None:
    assert estimate_tokens(text) <= len(text.encode("utf-8"))
