"""`BoundedLRU`: the one bounded memo (it replaced nine dicts cleared wholesale at 10 000)."""

from __future__ import annotations

import pytest

from lockgate.lru import BoundedLRU


def test_evicts_the_least_recently_used_entry_one_at_a_time() -> None:
    memo: BoundedLRU[str, int] = BoundedLRU(maxsize=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recently used
    memo.put("c", 3)
    assert ("a" in memo, "b" in memo, "c" in memo) == (True, False, True)
    assert len(memo) == 2


def test_a_hot_entry_survives_a_flood_of_new_names() -> None:
    memo: BoundedLRU[str, str] = BoundedLRU(maxsize=100)
    memo.put("hot", "kept")
    for i in range(10_000):
        memo.put(f"name-{i}", "x")
        assert memo.get("hot") == "kept"
    assert len(memo) == 100


def test_put_returns_the_value_and_refuses_a_size_below_one() -> None:
    memo: BoundedLRU[int, str] = BoundedLRU(maxsize=1)
    assert memo.put(1, "one") == "one"
    assert memo.get(2) is None
    with pytest.raises(ValueError, match="maxsize"):
        BoundedLRU(maxsize=0)
