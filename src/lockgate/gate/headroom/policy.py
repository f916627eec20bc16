"""Provider headroom: stay inside each upstream's rate limits *before* calling it.

Per name (``"openai"`` or ``"openai:gpt-4o"``, whatever the router configures and passes) two
kinds of knowledge, shared by every replica through Redis (:mod:`lockgate.gate.headroom.redis`)
or kept in this process (:class:`MemoryHeadroom`):

* **Our own count** against the configured ``rpm``/``tpm`` (:class:`HeadroomLimits`): a sliding
  log of the last ``window_s`` (60) seconds, one entry per admitted call with its token count.
  Exact: *every* 60-second window admits at most ``rpm`` calls and ``tpm`` tokens (a fixed
  minute would admit twice that across a boundary). Tokens are the caller's upper bound (prompt
  plus ``max_tokens``), which is also how OpenAI counts a request against its tpm; there is no
  settle step. An entry counts from its time ``t`` until ``t + window`` (exclusive).
* **What the upstream said** (:class:`~lockgate.providers.base.RateLimitInfo`): 0 remaining
  requests or tokens blocks the name until that reset (``unknown_reset_s`` when it sent none), and
  a 429's ``Retry-After`` blocks it for that long. A block only ever grows: a late response of a
  call started before the 429 cannot lift it.

::

    headroom = MemoryHeadroom({"openai": HeadroomLimits(rpm=500, tpm=200_000)}, clock=clock)
    await headroom.acquire("openai", tokens=prompt_tokens + max_tokens)   # or NoHeadroom
    ...call...
    await headroom.observe("openai", provider.last_rate_limit)           # or retry_after=...

:class:`NoHeadroom` is a 503 with ``Retry-After``: the router catches it to try the next candidate
and lets it through when none is left. :class:`HeadroomUnavailable` (Redis unreachable) means "no
shared knowledge": the gate calls the provider anyway, since the upstream's own 429 still
protects us, and the breaker and budget are separate checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeAlias

from lockgate.errors import ServiceUnavailable
from lockgate.providers.base import RateLimitInfo

HeadroomKind: TypeAlias = Literal["requests", "tokens", "upstream"]
Quota: TypeAlias = tuple[int, float | None]
"""(remaining, epoch seconds when it next grows or resets, if known)."""


@dataclass(frozen=True, slots=True)
class HeadroomLimits:
    """Our own ceiling for one name: calls and tokens per window (a minute). ``None``: no limit."""

    rpm: int | None = None
    tpm: int | None = None

    def __post_init__(self) -> None:
        for label, value in (("rpm", self.rpm), ("tpm", self.tpm)):
            if value is not None and value < 1:
                raise ValueError(f"{label} must be at least 1 (or unset), got {value}")


class NoHeadroom(ServiceUnavailable):
    """No call to ``name`` now; ``retry_after`` seconds until there may be room."""

    code = "no_headroom"
    message = "The model provider is at its rate limit; try again shortly."

    def __init__(self, name: str, retry_after: float, kind: HeadroomKind) -> None:
        self.name = name
        self.retry_after = max(0.0, retry_after)
        self.kind: HeadroomKind = kind
        wait = max(1, math.ceil(self.retry_after))
        super().__init__(headers={"Retry-After": str(wait)})

    def __repr__(self) -> str:
        return f"NoHeadroom({self.name!r}, retry_after={self.retry_after:.3f}, kind={self.kind!r})"


class HeadroomUnavailable(Exception):
    """The shared headroom store (Redis) is unreachable; the caller proceeds without it."""


@dataclass(frozen=True, slots=True)
class HeadroomSnapshot:
    """What is known about one name now. Resets are seconds from now; ``None`` when unknown.

    ``remaining_*`` is the smaller of our own window's room and the upstream's last report (while
    that report's reset is in the future); ``reset_*_s`` belongs to whichever of the two it is.
    """

    remaining_requests: int | None
    remaining_tokens: int | None
    reset_requests_s: float | None
    reset_tokens_s: float | None
    blocked_until: datetime | None


@dataclass(frozen=True, slots=True)
class UpstreamView:
    """The upstream's last report, with absolute (epoch seconds) reset times."""

    requests: Quota | None = None
    tokens: Quota | None = None

    @property
    def expires_at(self) -> float | None:
        ends = [q[1] for q in (self.requests, self.tokens) if q is not None and q[1] is not None]
        return max(ends, default=None)


class Headroom(Protocol):
    limits: dict[str, HeadroomLimits]
    """Our own ceilings by name; may be extended at run time (e.g. per virtual key)."""

    async def acquire(self, name: str, tokens: int) -> None: ...

    async def observe(
        self, name: str, info: RateLimitInfo | None, *, retry_after: float | None = None
    ) -> None: ...

    async def snapshot(self, name: str) -> HeadroomSnapshot: ...

    async def aclose(self) -> None: ...


def upstream_block(
    info: RateLimitInfo | None, retry_after: float | None, now: float, unknown_reset_s: float
) -> float | None:
    """Epoch seconds until which the upstream will refuse us, or ``None`` if it will not."""
    base = info.observed_at.timestamp() if info and info.observed_at else now
    ends: list[float] = []
    if info is not None:
        for remaining, reset in (
            (info.remaining_requests, info.reset_requests_s),
            (info.remaining_tokens, info.reset_tokens_s),
        ):
            if remaining is not None and remaining <= 0:
                ends.append(base + (unknown_reset_s if reset is None else reset))
    if retry_after is not None:
        ends.append(now + max(0.0, retry_after))
    until = max(ends, default=None)
    return until if until is not None and until > now else None


def upstream_view(info: RateLimitInfo, now: float, window_s: float) -> UpstreamView:
    """The report with absolute resets; without a reset it is trusted for one window."""
    base = info.observed_at.timestamp() if info.observed_at else now

    def quota(remaining: int | None, reset: float | None) -> Quota | None:
        if remaining is None:
            return None
        return (max(0, remaining), base + (window_s if reset is None else reset))

    return UpstreamView(
        quota(info.remaining_requests, info.reset_requests_s),
        quota(info.remaining_tokens, info.reset_tokens_s),
    )


def compose_snapshot(
    limits: HeadroomLimits | None,
    entries: list[tuple[float, int]],
    blocked_until: float | None,
    upstream: UpstreamView | None,
    now: float,
    window_s: float,
) -> HeadroomSnapshot:
    """Both backends' snapshot; ``entries``: the (time, tokens) inside the window, oldest first."""
    own_reset = entries[0][0] + window_s if entries else None
    own_requests: Quota | None = None
    own_tokens: Quota | None = None
    if limits is not None and limits.rpm is not None:
        own_requests = (max(0, limits.rpm - len(entries)), own_reset)
    if limits is not None and limits.tpm is not None:
        own_tokens = (max(0, limits.tpm - sum(t for _, t in entries)), own_reset)
    up = upstream or UpstreamView()
    remaining_requests, reset_requests = _tightest(own_requests, up.requests, now)
    remaining_tokens, reset_tokens = _tightest(own_tokens, up.tokens, now)
    blocked = (
        datetime.fromtimestamp(blocked_until, UTC)
        if blocked_until is not None and blocked_until > now
        else None
    )
    return HeadroomSnapshot(
        remaining_requests, remaining_tokens, reset_requests, reset_tokens, blocked
    )


def _tightest(
    own: Quota | None, upstream: Quota | None, now: float
) -> tuple[int | None, float | None]:
    """The smaller remaining of our window and the upstream's report (if not yet reset)."""
    live = [own] if own is not None else []
    if upstream is not None and upstream[1] is not None and upstream[1] > now:
        live.append(upstream)
    if not live:
        return None, None
    remaining, reset_at = min(live, key=lambda q: q[0])
    return remaining, None if reset_at is None else max(0.0, reset_at - now)


def tokens_wait(
    entries: list[tuple[float, int]], used: int, tokens: int, tpm: int, now: float, window_s: float
) -> float:
    """Seconds until ``tokens`` more fit under ``tpm``; a whole window if they never can."""
    need = used + tokens - tpm
    if tokens > tpm:
        return window_s
    freed = 0
    for at, spent in entries:
        freed += spent
        if freed >= need:
            return at + window_s - now
    return window_s
