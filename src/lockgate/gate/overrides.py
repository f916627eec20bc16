"""The YAML's defaults with the run-time overrides over them (`lockgate.gate.runtime`).

Stated once, for the gate (budget limits, provider headroom) and for the API that shows an
operator the default, the override and what applies.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping

from lockgate.gate.config import GateConfig
from lockgate.gate.headroom import HeadroomLimits
from lockgate.gate.runtime import RuntimeLimits, ScopeLimits


def provider_default(config: GateConfig, name: str) -> ScopeLimits:
    """A provider's budgets (``gate.budgets.providers``) and rpm/tpm (``gate.providers``)."""
    spec = config.budgets.providers.get(name)
    gate = config.provider(name)
    return ScopeLimits(
        daily_usd=spec.daily_usd if spec else None,
        monthly_usd=spec.monthly_usd if spec else None,
        rpm=gate.rpm,
        tpm=gate.tpm,
    )


def provider_limits(config: GateConfig, runtime: RuntimeLimits, name: str) -> ScopeLimits:
    default = provider_default(config, name)
    override = runtime.providers.get(name)
    return override.over(default) if override is not None else default


def user_default(config: GateConfig) -> ScopeLimits:
    """Every user's budgets (``gate.budgets.users``) and rpm/tpm (``gate.user_limits``)."""
    users = config.budgets.users
    return ScopeLimits(
        daily_usd=users.daily_usd,
        monthly_usd=users.monthly_usd,
        rpm=config.user_limits.rpm,
        tpm=config.user_limits.tpm,
    )


def user_limits(config: GateConfig, runtime: RuntimeLimits, user_id: uuid.UUID) -> ScopeLimits:
    return runtime.user(user_id).over(user_default(config))


class HeadroomOverrides:
    """Applies providers' run-time rpm/tpm to the headroom's ceilings, and gives a provider its
    own ceiling back when its override goes (whatever it was: the YAML's, or a test's)."""

    def __init__(self, ceilings: MutableMapping[str, HeadroomLimits]) -> None:
        self._ceilings = ceilings
        self._saved: dict[str, HeadroomLimits | None] = {}

    def apply(self, runtime: RuntimeLimits) -> None:
        ceilings = self._ceilings
        for name in set(self._saved) | set(runtime.providers):
            if name not in self._saved:
                self._saved[name] = ceilings.get(name)
            own = self._saved[name]
            override = runtime.providers.get(name)
            if override is None:
                del self._saved[name]
                if own is None:
                    ceilings.pop(name, None)
                else:
                    ceilings[name] = own
                continue
            base = own or HeadroomLimits()
            ceilings[name] = HeadroomLimits(
                rpm=override.rpm if override.rpm is not None else base.rpm,
                tpm=override.tpm if override.tpm is not None else base.tpm,
            )
