"""Reading an upstream's usage report: whatever it says is counted (never read as free), and kept
within what the ledger can store."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.gateway.relay import usage_of
from lockgate.providers.base import MAX_REPORTED_TOKENS, Usage


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ({"prompt_tokens": 9, "completion_tokens": 6}, Usage(9, 6)),
        ({"prompt_tokens": 9}, Usage(9, 0)),
        # orjson reads an integer beyond 2**64 as a float: still counted, then capped.
        ({"prompt_tokens": 1e20, "completion_tokens": 1e20}, Usage(*[MAX_REPORTED_TOKENS] * 2)),
        ({"prompt_tokens": 10.5, "completion_tokens": 0}, Usage(11, 0)),
        ({"prompt_tokens": "9", "completion_tokens": 6}, None),
        ({"prompt_tokens": -1, "completion_tokens": 6}, None),
        ({"prompt_tokens": True, "completion_tokens": 6}, None),
    ],
)
def test_usage_reports_are_counted_or_refused(
    reported: dict[str, Any], expected: Usage | None
) -> None:
    assert usage_of(reported) == expected


def test_usage_beyond_the_ledger_columns_is_capped() -> None:
    assert Usage(10**20, -5) == Usage(MAX_REPORTED_TOKENS, 0)
