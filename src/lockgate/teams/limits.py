"""Budgets and rate limits set at run time: per provider, key (and team, in
`lockgate.teams.service`), validated, stored, recorded.

A provider's limits are *overrides*: a field left ``null`` keeps the YAML's default
(``gate.budgets.providers``, ``gate.providers``); deleting the override brings every default
back. (A user's overrides are the admin console's, `lockgate.admin.service`.) A key's and a
team's limits have no default. Only global admins change provider limits; a key's limits are
also open to the admins of the team it pays into. The endpoint commits, then announces
(`lockgate.teams.sync`) — every replica applies the change within a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.errors import NotFound, Unprocessable
from lockgate.gate import Gate, ScopeLimits
from lockgate.gate.budget import BudgetLimit, BudgetUnavailable
from lockgate.gate.overrides import provider_default
from lockgate.models import ApiKey, ProviderLimits, User
from lockgate.teams.audit import record_change
from lockgate.teams.schemas import Limits, LimitsIn, ScopeLimitsOut, Spend


class BudgetOrder(Unprocessable):
    code = "budget_order"
    message = "The monthly budget cannot be lower than the daily budget."


class UnknownProvider(NotFound):
    code = "unknown_provider"
    message = "No provider of this name is configured."


class LimitsKeyNotFound(NotFound):
    code = "key_not_found"
    message = "API key not found."


class _HasLimits(Protocol):
    daily_budget_usd: Decimal | None
    monthly_budget_usd: Decimal | None
    rpm: int | None
    tpm: int | None


def check_order(limits: LimitsIn) -> None:
    """A monthly budget below the daily one can never be reached by the daily one: a typo."""
    daily, monthly = limits.daily_usd, limits.monthly_usd
    if daily is not None and monthly is not None and monthly < daily:
        raise BudgetOrder(
            f"The monthly budget ({monthly} USD) cannot be lower than the daily budget "
            f"({daily} USD)."
        )


def limits_dict(row: _HasLimits) -> dict[str, Any]:
    """A row's limits as the audit log keeps them (money as text: exact)."""
    return {
        "daily_usd": _text(money(row.daily_budget_usd)),
        "monthly_usd": _text(money(row.monthly_budget_usd)),
        "rpm": row.rpm,
        "tpm": row.tpm,
    }


def money(value: Decimal | None) -> Decimal | None:
    """``3.00000000`` (as stored) → ``3``: the amount as a person writes it, exactly."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def assign(row: _HasLimits, limits: LimitsIn) -> None:
    row.daily_budget_usd, row.monthly_budget_usd = limits.daily_usd, limits.monthly_usd
    row.rpm, row.tpm = limits.rpm, limits.tpm


def as_limits(limits: ScopeLimits | _HasLimits | None) -> Limits | None:
    if limits is None:
        return None
    if isinstance(limits, ScopeLimits):
        return Limits(
            daily_usd=money(limits.daily_usd),
            monthly_usd=money(limits.monthly_usd),
            rpm=limits.rpm,
            tpm=limits.tpm,
        )
    return Limits(
        daily_usd=money(limits.daily_budget_usd),
        monthly_usd=money(limits.monthly_budget_usd),
        rpm=limits.rpm,
        tpm=limits.tpm,
    )


async def spend(gate: Gate, limits: Sequence[BudgetLimit]) -> list[Spend] | None:
    """Each window's spend now (``None`` when the budget store cannot be reached)."""
    await gate.settled()  # this process's queued settles first: never report less than settled
    out = []
    try:
        for limit in limits:
            status = await gate.budgets.status(limit)
            out.append(
                Spend(
                    period=limit.period,
                    limit_usd=money(status.limit_usd) or Decimal(0),
                    spent_usd=money(status.spent_usd) or Decimal(0),
                    reserved_usd=money(status.reserved_usd) or Decimal(0),
                    resets_at=status.resets_at,
                )
            )
    except BudgetUnavailable:
        return None
    return out


class LimitsService:
    """Provider and key limits (see the module docstring)."""

    def __init__(self, db: AsyncSession, actor: User, gate: Gate, providers: Sequence[str]) -> None:
        self.db = db
        self.actor = actor
        self.gate = gate
        self.providers = list(providers)

    @property
    def tz(self) -> str:
        return self.gate.config.budgets.timezone

    async def provider(self, name: str) -> ScopeLimitsOut:
        if name not in self.providers:
            raise UnknownProvider(f"No provider named {name!r} is configured.")
        override = await self.db.get(ProviderLimits, name)
        default = provider_default(self.gate.config, name)
        effective = ScopeLimits.of_row(override).over(default)
        scope = f"provider:{name}"
        return ScopeLimitsOut(
            scope=scope,
            default=as_limits(default) or Limits(),
            override=as_limits(override),
            effective=as_limits(effective) or Limits(),
            spend=await spend(self.gate, effective.budget_limits(scope, self.tz)),
        )

    async def set_provider(self, name: str, limits: LimitsIn | None) -> None:
        """Set (``limits``) or remove (``None``) a provider's override."""
        if name not in self.providers:
            raise UnknownProvider(f"No provider named {name!r} is configured.")
        row = await self.db.get(ProviderLimits, name)
        before = limits_dict(row) if row is not None else None
        if limits is None:
            if row is not None:
                await self.db.delete(row)
        else:
            check_order(limits)
            if row is None:
                row = ProviderLimits(provider=name)
                self.db.add(row)
            assign(row, limits)
        await self.db.flush()
        after = limits_dict(row) if limits is not None and row is not None else None
        record_change(self.db, self.actor, "limits.provider", f"provider:{name}", before, after)

    async def key(self, key: ApiKey) -> ScopeLimitsOut:
        scope = f"key:{key.id}"
        own = ScopeLimits(key.daily_budget_usd, key.monthly_budget_usd, key.rpm, key.tpm)
        return ScopeLimitsOut(
            scope=scope,
            default=Limits(),
            override=as_limits(key),
            effective=as_limits(own) or Limits(),
            spend=await spend(self.gate, own.budget_limits(scope, self.tz)),
        )

    async def set_key(self, key: ApiKey, limits: LimitsIn) -> None:
        check_order(limits)
        before = limits_dict(key)
        assign(key, limits)
        await self.db.flush()
        record_change(self.db, self.actor, "limits.key", f"key:{key.id}", before, limits_dict(key))
