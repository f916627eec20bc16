"""The rate limits' rules, pure: parsed limits, their storage keys, and what a count means.

A `RateLimitRule` is one scope's limits; its `Target`s are one client's counters; a store
(`lockgate.gate.ratelimit.memory`, `lockgate.gate.ratelimit.redis`) counts a hit in all of them
at once and answers a `Verdict`, which `decide` turns into the response headers or a 429.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, TypeAlias

from limits import RateLimitItem, parse_many

from lockgate.errors import RateLimited, ServiceUnavailable

GLOBAL = "global"
PER_IP = "per_ip"
RedisFailure: TypeAlias = Literal["open", "closed"]
KeyBy: TypeAlias = Literal["client", "ip"]


class RateLimitUnavailable(ServiceUnavailable):
    code = "rate_limit_unavailable"
    message = "Rate limiting is unavailable; try again shortly."


@dataclass(frozen=True, slots=True)
class Limit:
    """One parsed limit, as the counters need it: N hits per ``expiry`` seconds."""

    amount: int
    expiry: int
    suffix: str
    """The end of its storage key, as ``limits`` builds it: ``/<N>/<multiples>/<unit>``."""

    @classmethod
    def of(cls, item: RateLimitItem) -> Limit:
        suffix = f"/{item.amount}/{item.multiples}/{item.GRANULARITY.name}"
        return cls(item.amount, item.get_expiry(), suffix)


@dataclass(frozen=True)
class RateLimitRule:
    """One scope's limits, shortest window first.

    ``RateLimitRule.parse("chat", "10/10 seconds;60/minute")``; a bad string raises ``ValueError``.
    """

    scope: str
    items: list[RateLimitItem]
    limits: tuple[Limit, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", tuple(Limit.of(item) for item in self.items))

    @classmethod
    def parse(cls, scope: str, text: str) -> RateLimitRule:
        try:
            items = parse_many(text)
        except ValueError:
            raise ValueError(
                f"rate limit {scope!r}: cannot parse {text!r} (e.g. '10/10 seconds;60/minute')"
            ) from None
        if any(item.amount < 1 for item in items):
            raise ValueError(f"rate limit {scope!r}: {text!r} has a limit below 1")
        # "5/minute;5/minute" names one counter twice: counted once, not twice per request.
        unique: dict[str, RateLimitItem] = {}
        for item in items:
            unique.setdefault(Limit.of(item).suffix, item)
        return cls(scope, sorted(unique.values(), key=lambda item: item.get_expiry()))

    def targets(self, group: str, key: str, scope: str | None = None) -> list[Target]:
        """This rule's limits for one client: storage keys ``LIMITER/<group>/<key><suffix>``."""
        reported = self.scope if scope is None else scope
        return [
            Target(limit, reported, f"LIMITER/{group}/{key}{limit.suffix}") for limit in self.limits
        ]


class Target(NamedTuple):
    limit: Limit
    scope: str
    """What a refusal reports (``on_reject``): a fixed name, never the client."""
    key: str


class Verdict(NamedTuple):
    refused: int
    """The index of the first target without room (nothing was counted), or -1."""
    windows: list[tuple[int, float]]
    """Admitted: (hits in the window, oldest of them) per target, after counting this one.
    Refused: the same for the refusing target alone (its window is full)."""


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """What a response tells the client about its quota (``reset`` in whole seconds)."""

    limit: int
    remaining: int
    reset: int

    def as_dict(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }

    def raw(self) -> list[tuple[bytes, bytes]]:
        return [(k.lower().encode(), v.encode()) for k, v in self.as_dict().items()]

    def tighter(self, other: RateLimitHeaders | None) -> RateLimitHeaders:
        """The more restrictive of two: fewer remaining, then the later reset."""
        if other is None:
            return self
        return min(self, other, key=lambda h: (h.remaining, -h.reset))


def decide(targets: list[Target], verdict: Verdict, now: float) -> RateLimitHeaders:
    """The headers of an admitted hit (the tightest limit), or `RateLimited` with its wait."""
    if verdict.refused >= 0:
        limit = targets[verdict.refused].limit
        wait = max(1, math.ceil(verdict.windows[0][1] + limit.expiry - now))
        raise RateLimited(
            retry_after=wait, headers=RateLimitHeaders(limit.amount, 0, wait).as_dict()
        )
    best: RateLimitHeaders | None = None
    for target, (count, oldest) in zip(targets, verdict.windows, strict=True):
        limit = target.limit
        remaining = max(0, limit.amount - count)
        reset = max(0, math.ceil(oldest + limit.expiry - now))
        if best is None or (remaining, -reset) < (best.remaining, -best.reset):
            best = RateLimitHeaders(limit.amount, remaining, reset)  # the first of the tightest
    if best is None:
        raise ValueError("a hit needs at least one target")
    return best
