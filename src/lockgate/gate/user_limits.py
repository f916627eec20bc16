"""Where the gate reads a user's budgets and rate limits: a small seam, `UserLimitsSource`.

``lockgate.yaml`` gives every user the same defaults (``gate.budgets.users`` for daily/monthly
USD, ``gate.user_limits`` for rpm/tpm). Admins may override them per user at run time; the
overrides live in the database and reach the gate through a source object (see
`lockgate.limits.overrides.UserOverrides`), so the gate never queries the database on the hot path
and never imports the layer that does. The gate asks the source on every admission; a source
answers from memory::

    source = YamlUserLimits(UserLimits(daily_usd=Decimal(2)))
    source.limits_for(user_id)      # UserLimits(daily_usd=Decimal('2'), ...)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from lockgate.gate.config import GateConfig


@dataclass(frozen=True, slots=True)
class UserLimits:
    """One user's effective limits (None: no limit of that kind). Hashable: the gate caches the
    budget scopes it builds from it, keyed on the value."""

    daily_usd: Decimal | None = None
    monthly_usd: Decimal | None = None
    rpm: int | None = None
    tpm: int | None = None

    @property
    def rate_limited(self) -> bool:
        return self.rpm is not None or self.tpm is not None


def yaml_defaults(config: GateConfig) -> UserLimits:
    """The defaults every user has unless an admin overrides them."""
    return UserLimits(
        daily_usd=config.budgets.users.daily_usd,
        monthly_usd=config.budgets.users.monthly_usd,
        rpm=config.user_limits.rpm,
        tpm=config.user_limits.tpm,
    )


class UserLimitsSource(Protocol):
    def limits_for(self, user_id: uuid.UUID) -> UserLimits:
        """The user's effective limits, from memory (called on every admission)."""
        ...


class YamlUserLimits:
    """The defaults for everyone: what the gate uses when nothing overrides them."""

    def __init__(self, defaults: UserLimits) -> None:
        self.defaults = defaults

    def limits_for(self, user_id: uuid.UUID) -> UserLimits:
        return self.defaults
