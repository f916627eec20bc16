"""A bounded least-recently-used map: the one memo for values derived from caller-chosen names.

Keys, argument blobs and budget limits are derived from provider names, users, scopes and API keys,
so a memo of them grows with whatever callers send; each used to be a dict cleared wholesale at
10 000 entries (a cliff: every hot entry recomputed at once). This one evicts the entry used
least recently instead, one at a time::

    keys: BoundedLRU[str, list[str]] = BoundedLRU()
    found = keys.get(name)
    if found is None:
        found = keys.put(name, compute(name))
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_SIZE = 10_000


class BoundedLRU(Generic[K, V]):
    """At most ``maxsize`` entries; ``None`` is not a storable value (it means "absent")."""

    __slots__ = ("_items", "maxsize")

    def __init__(self, maxsize: int = DEFAULT_SIZE) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or ``None``."""
        items = self._items
        value = items.get(key)
        if value is not None:
            items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        """Store ``value`` (evicting the least recently used entry when full); returns it."""
        items = self._items
        items[key] = value
        items.move_to_end(key)
        if len(items) > self.maxsize:
            items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
