"""A caller's own rate limits: its team's and its user's rpm/tpm, set at run time.

Counted like a provider's headroom (a 60 s window per name, ``team:<id>`` / ``user:<id>``, one
Lua script on Redis: exact across replicas), when a call is about to go upstream: a cache hit
costs the team nothing. The team's window is asked first, so a call refused by the team never
counts against the user. With the store unreachable these limits fail open, as the HTTP rate
limits do (the budgets, which guard money, fail closed).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from lockgate.errors import RateLimited
from lockgate.gate.headroom import HeadroomLimits, HeadroomUnavailable, NoHeadroom
from lockgate.gate.service import Gate
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate.caller")
_WHOSE = {"team": "Your team's", "user": "Your"}


class TeamRateLimited(RateLimited):
    code = "team_rate_limited"


class UserRateLimited(RateLimited):
    code = "user_rate_limited"


_REFUSAL = {"team": TeamRateLimited, "user": UserRateLimited}


async def acquire_caller_limits(
    gate: Gate,
    user_id: uuid.UUID | None,
    key_id: uuid.UUID | None,
    tokens: int,
    *,
    before: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Count one call of ``tokens`` against the team's and the user's rpm/tpm, or raise 429;
    ``before`` runs first when there is something to count (a pending HTTP limit's hit)."""
    runtime = gate.book.current
    team = runtime.team_of(user_id, key_id)
    scopes = []
    if team is not None:
        scopes.append(("team", team, runtime.team(team)))
    if user_id is not None:
        scopes.append(("user", user_id, runtime.user(user_id)))
    for kind, ident, limits in scopes:
        if limits.rpm is None and limits.tpm is None:
            continue
        if before is not None:
            await before()
            before = None
        name = f"{kind}:{ident}"
        gate.headroom.limits[name] = HeadroomLimits(rpm=limits.rpm, tpm=limits.tpm)
        try:
            await gate.headroom.acquire(name, tokens)
        except NoHeadroom as exc:
            what, ceiling = (
                ("request", limits.rpm) if exc.kind == "requests" else ("token", limits.tpm)
            )
            per_minute = f" ({ceiling:,}/minute)" if ceiling is not None else ""
            raise _REFUSAL[kind](
                f"{_WHOSE[kind]} {what} limit{per_minute} is used up.",
                retry_after=exc.retry_after,
            ) from None
        except HeadroomUnavailable as exc:
            log.warning("caller_limits_unavailable", scope=kind, error=str(exc))
