"""Budgets and limits changed at run time, and teams: what the gate reads besides its YAML.

`lockgate.yaml` gives the defaults (a provider's daily/monthly budget and rpm/tpm, every user's
daily/monthly budget). Operators override them at run time, per provider and per user, and give
teams their own budgets and limits; those rows live in the database and a process holds them
here as one immutable :class:`RuntimeLimits` snapshot, replaced whole when anything changes
(`lockgate.teams.sync` loads it, on a change announced over Redis and periodically). Replacing
the snapshot is one assignment, so a call reads either the old limits or the new ones, never a
mix.

The gate turns a snapshot into `BudgetLimit` scopes (``team:<id>:daily`` beside
``user:<id>:daily`` and ``provider:<name>:daily``), so a team's budget is reserved and settled in
the same atomic step as every other scope, on both stores.

    book = LimitsBook()
    book.replace(RuntimeLimits(teams={team: ScopeLimits(daily_usd=Decimal("5"))},
                               user_teams={alice: team}))
    book.current.team_of(alice, key_id=None)  # → team
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from lockgate.gate.budget import BudgetLimit


class StoredLimits(Protocol):
    """A database row with the four limit columns (the gate never imports the models)."""

    daily_budget_usd: Decimal | None
    monthly_budget_usd: Decimal | None
    rpm: int | None
    tpm: int | None


@dataclass(frozen=True, slots=True)
class ScopeLimits:
    """One scope's budgets (USD per day / calendar month) and rate limits (per minute).

    ``None`` means "not set here": for a provider or a user the YAML default applies; a team or
    a key has no default, so ``None`` is no limit.
    """

    daily_usd: Decimal | None = None
    monthly_usd: Decimal | None = None
    rpm: int | None = None
    tpm: int | None = None

    @classmethod
    def of_row(cls, row: StoredLimits | None) -> ScopeLimits:
        """What a stored override sets (a provider's, team's or user's row; none: nothing)."""
        if row is None:
            return cls()
        return cls(row.daily_budget_usd, row.monthly_budget_usd, row.rpm, row.tpm)

    def over(self, default: ScopeLimits) -> ScopeLimits:
        """These limits, each unset one taken from ``default``."""
        return ScopeLimits(
            daily_usd=self.daily_usd if self.daily_usd is not None else default.daily_usd,
            monthly_usd=self.monthly_usd if self.monthly_usd is not None else default.monthly_usd,
            rpm=self.rpm if self.rpm is not None else default.rpm,
            tpm=self.tpm if self.tpm is not None else default.tpm,
        )

    def budget_limits(self, scope: str, tz: str) -> list[BudgetLimit]:
        """``scope:daily`` and ``scope:monthly`` limits for the budgets that are set."""
        limits = []
        if self.daily_usd is not None:
            limits.append(BudgetLimit(f"{scope}:daily", self.daily_usd, "daily", tz))
        if self.monthly_usd is not None:
            limits.append(BudgetLimit(f"{scope}:monthly", self.monthly_usd, "monthly", tz))
        return limits


NO_LIMITS = ScopeLimits()


@dataclass(frozen=True, slots=True)
class RuntimeLimits:
    """Everything set at run time, as one value (see the module docstring)."""

    providers: Mapping[str, ScopeLimits] = field(default_factory=dict)
    """Overrides of the YAML's provider budgets and rpm/tpm, by provider name."""
    users: Mapping[uuid.UUID, ScopeLimits] = field(default_factory=dict)
    """Overrides of the YAML's per-user budgets, and a user's own rpm/tpm, by user id."""
    teams: Mapping[uuid.UUID, ScopeLimits] = field(default_factory=dict)
    """Every team's limits (a team without limits is listed with `NO_LIMITS`)."""
    user_teams: Mapping[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    """The team of each user who has one."""
    key_teams: Mapping[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    """Keys given a team of their own (other keys are in their owner's team)."""

    def team_of(self, user_id: uuid.UUID | None, key_id: uuid.UUID | None) -> uuid.UUID | None:
        """The team a call pays into: the key's own team if it has one, else its owner's."""
        if key_id is not None:
            team = self.key_teams.get(key_id)
            if team is not None:
                return team
        return self.user_teams.get(user_id) if user_id is not None else None

    def user(self, user_id: uuid.UUID) -> ScopeLimits:
        return self.users.get(user_id, NO_LIMITS)

    def team(self, team_id: uuid.UUID) -> ScopeLimits:
        return self.teams.get(team_id, NO_LIMITS)


class LimitsBook:
    """The current `RuntimeLimits` of this process, and who wants to hear when it changes.

    The gate subscribes to drop the budget limits it cached; provider headroom subscribes to
    apply a provider's new rpm/tpm. Listeners run synchronously inside :meth:`replace`, so once
    it returns every part of this process uses the new limits.
    """

    def __init__(self, initial: RuntimeLimits | None = None) -> None:
        self.current = initial or RuntimeLimits()
        self.version = 0
        """How many snapshots were applied (a test waits on it instead of sleeping)."""
        self._listeners: list[Callable[[RuntimeLimits], None]] = []

    def subscribe(self, listener: Callable[[RuntimeLimits], None]) -> None:
        self._listeners.append(listener)
        listener(self.current)

    def replace(self, limits: RuntimeLimits) -> None:
        self.current = limits
        self.version += 1
        for listener in self._listeners:
            listener(limits)
