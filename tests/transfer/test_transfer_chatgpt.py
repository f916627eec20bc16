"""ChatGPT's mapping tree, read without a server: odd trees never loop or crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lockgate.transfer.chatgpt import convert
from lockgate.transfer.errors import ImportInvalid

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def node(parent: str | None, role: str, text: str, children: list[str]) -> dict[str, Any]:
    return {
        "parent": parent,
        "children": children,
        "message": {
            "author": {"role": role},
            "content": {"content_type": "text", "parts": [text]},
            "create_time": 1717000000,
        },
    }


def test_a_parent_cycle_ends_the_walk() -> None:
    mapping = {
        "a": node("b", "user", "question", ["b"]),
        "b": node("a", "assistant", "answer", ["a"]),
    }
    conversation = convert({"mapping": mapping, "current_node": "b"}, "[0]", NOW)
    assert conversation is not None
    assert [m.content for m in conversation.messages] == ["question", "answer"]


def test_bad_times_and_titles_fall_back_instead_of_failing() -> None:
    mapping = {"q": node(None, "user", "hi", [])}
    mapping["q"]["message"]["create_time"] = "yesterday"
    item = {"mapping": mapping, "current_node": "q", "title": 42, "create_time": 1e30}
    conversation = convert(item, "[0]", NOW)
    assert conversation is not None
    assert conversation.title == ""
    assert conversation.created_at == NOW
    assert conversation.messages[0].created_at == NOW


def test_a_reply_before_any_question_is_left_out() -> None:
    mapping = {
        "g": node(None, "assistant", "Hello, I am a custom GPT.", ["q"]),
        "q": node("g", "user", "hi", []),
    }
    conversation = convert({"mapping": mapping, "current_node": "q"}, "[0]", NOW)
    assert conversation is not None
    assert [m.role.value for m in conversation.messages] == ["user"]


@pytest.mark.parametrize("item", [{"title": "x"}, [], "text", {"mapping": []}])
def test_an_item_without_a_mapping_is_invalid(item: Any) -> None:
    with pytest.raises(ImportInvalid, match=r"^\[7\]: not a ChatGPT conversation"):
        convert(item, "[7]", NOW)
