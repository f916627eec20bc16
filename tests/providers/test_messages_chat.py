"""The Messages API to an OpenAI-compatible upstream and back (providers/messages_chat.py):
what is translated, what is dropped, and what is refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.providers.errors import ProviderBadRequest
from lockgate.providers.messages_chat import stop_reason, to_chat_body, to_message

BASE: dict[str, Any] = {
    "model": "m",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": "hi"}],
}


def test_system_blocks_and_dropped_anthropic_only_fields() -> None:
    body = {
        **BASE,
        "system": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
        "top_k": 3,
        "thinking": {"type": "enabled", "budget_tokens": 100},
        "service_tier": "auto",
        "output_config": {"effort": "low"},
    }
    assert to_chat_body(body, provider="p") == {
        "model": "m",
        "messages": [{"role": "system", "content": "A\n\nB"}, {"role": "user", "content": "hi"}],
    }


def test_assistant_thinking_is_dropped_and_error_results_are_marked() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "s"},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "is_error": True,
                    "content": [{"type": "text", "text": "boom"}],
                }
            ],
        },
    ]
    sent = to_chat_body({**BASE, "messages": messages}, provider="p")["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "t1", "content": "Error: boom"}
    assert len(sent) == 3  # no empty user message after the results


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "document", "source": {"type": "text"}}]}
                ]
            },
            "'document'",
        ),
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "server tool"),
        ({"output_config": {"format": {"type": "json_schema", "schema": {}}}}, "structured"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": "t",
                                "content": [
                                    {"type": "image", "source": {"type": "url", "url": "https://x"}}
                                ],
                            }
                        ],
                    }
                ]
            },
            "tool_result with 'image'",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}],
                    }
                ]
            },
            "base64 and url",
        ),
    ],
)
def test_untranslatable_requests_are_refused(extra: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ProviderBadRequest) as refused:
        to_chat_body({**BASE, **extra}, provider="p")
    assert fragment in refused.value.message


def test_answer_with_text_and_tool_calls() -> None:
    completion = {
        "id": "chatcmpl-abc",
        "choices": [
            {
                "message": {
                    "content": "Let me check.",
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "f", "arguments": '{"x": 2}'}},
                        {"id": "c2", "function": {"name": "g", "arguments": "not json"}},
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 4},
    }
    message = to_message(completion, model="public")
    assert message["id"] == "msg_abc"
    assert message["content"] == [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "c1", "name": "f", "input": {"x": 2}},
        {"type": "tool_use", "id": "c2", "name": "g", "input": {"arguments": "not json"}},
    ]
    assert (message["stop_reason"], message["usage"]) == (
        "tool_use",
        {"input_tokens": 11, "output_tokens": 4},
    )


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
        (None, "end_turn"),
        ("weird", "end_turn"),
    ],
)
def test_stop_reasons(finish: str | None, reason: str) -> None:
    assert stop_reason(finish) == reason


@pytest.mark.parametrize(
    ("reported", "tokens"),
    [(7, 7), (7.2, 8), ("7", 0), (None, 0), (float("inf"), 0), (float("nan"), 0), (-3, 0)],
)
def test_odd_usage_counts_are_read_safely(reported: object, tokens: int) -> None:
    completion = {"choices": [], "usage": {"prompt_tokens": reported, "completion_tokens": 1}}
    assert to_message(completion, model="m")["usage"] == {
        "input_tokens": tokens,
        "output_tokens": 1,
    }
