"""Rate-limit counters in one process (exact for one replica)."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence

from lockgate.gate.ratelimit.policy import Target, Verdict


class MemoryWindows:
    """The moving windows of one process: per key a deque of hit times, oldest first.

    Keys live in one ordered dict per window length, least recently hit first, so the keys
    whose last hit has left their window are dropped from the front as time goes by: memory
    holds only live windows, each at most N hits long.

    Every admitted hit forgets in every dict (a few window lengths), so a window length no
    request uses any more does not keep its keys either.

    Several targets of one hit can share a dict (the global and per-IP limits are both per
    minute), so a hit first counts in every target and only then forgets: forgetting in between
    could drop a key another target of the same hit is about to count in (a ``KeyError`` after
    an idle minute, the 500 of issue 12). Every key counted is then newer than the floor and at
    the back, so forgetting never drops it.
    """

    def __init__(self) -> None:
        self._by_expiry: dict[int, OrderedDict[str, deque[float]]] = {}

    def hit(self, targets: Sequence[Target], now: float) -> Verdict:
        for index, (limit, _, key) in enumerate(targets):
            keys = self._by_expiry.get(limit.expiry)
            hits = None if keys is None else keys.get(key)
            if hits is not None:
                floor = now - limit.expiry
                while hits and hits[0] < floor:
                    hits.popleft()
                if len(hits) >= limit.amount:
                    return Verdict(index, [(len(hits), hits[0])])
        windows: list[tuple[int, float]] = []
        for limit, _, key in targets:
            keys = self._by_expiry.setdefault(limit.expiry, OrderedDict())
            hits = keys.get(key)
            if hits is None:
                hits = keys[key] = deque()
            else:
                keys.move_to_end(key)
            hits.append(now)
            windows.append((len(hits), hits[0]))
        for expiry, keys in self._by_expiry.items():
            self._forget(keys, now - expiry)
        return Verdict(-1, windows)

    def forget(self, targets: Sequence[Target]) -> None:
        """Drop the counters of ``targets``."""
        for limit, _, key in targets:
            keys = self._by_expiry.get(limit.expiry)
            if keys is not None:
                keys.pop(key, None)

    def stored(self) -> int:
        return sum(len(keys) for keys in self._by_expiry.values())

    @staticmethod
    def _forget(keys: OrderedDict[str, deque[float]], floor: float) -> None:
        """Drop the least recently hit keys whose every hit is older than ``floor``."""
        while keys:
            key = next(iter(keys))
            hits = keys[key]
            if hits and hits[-1] >= floor:
                return
            del keys[key]
