"""A provider health check (admins): one cheap real request (`lockgate.providers.probe`),
bounded by a timeout, at most so often per provider, reported and audited.

* **Authorised here**: the actor must be an active admin (`require_admin`), before anything
  else — a non-admin learns nothing, not even whether the provider exists.
* **Rate-limited per provider**, not per admin: ``provider_check_limit`` (default one check per
  10 seconds) counted in the HTTP limiter's store, so with Redis every replica shares it and
  the button cannot be used to hammer an upstream. Too soon: 429 ``check_too_soon`` with
  ``Retry-After``.
* **Bounded**: ``provider_check_timeout_seconds`` (default 10) over the whole request, whatever
  the provider's own (longer) read timeout.
* **Public errors only**: the result carries the error's stable code and our message for it
  (`ProviderError.public`), never the upstream's own text (logs keep it).
* **Audited**: ``provider.checked`` with the outcome, in the caller's transaction.

A check changes nothing in the gate: the breaker and the last error shown on the providers
page are the real traffic's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from lockgate.audit.trail import AuditTrail, Target
from lockgate.auth.roles import require_admin
from lockgate.catalog.schemas import ProviderCheck
from lockgate.clock import Clock
from lockgate.errors import NotFound, RateLimited
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.models import User
from lockgate.observability.logging import get_logger
from lockgate.providers.errors import ProviderError, ProviderTimeout
from lockgate.providers.probe import probe, probe_request
from lockgate.providers.registry import ProviderRegistry

SCOPE = "provider_check"
log = get_logger("lockgate.catalog")


class UnknownProviderName(NotFound):
    code = "unknown_provider"
    message = "No provider of this name is configured."


class CheckTooSoon(RateLimited):
    code = "check_too_soon"


class ProviderChecks:
    def __init__(
        self,
        trail: AuditTrail,
        *,
        providers: ProviderRegistry,
        kinds: dict[str, str],
        limiter: HttpRateLimiter,
        limit: str,
        timeout: float,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trail = trail
        self.providers = providers
        self.kinds = kinds
        self.limiter = limiter
        self.limit = limit
        self.timeout = timeout
        self.clock = clock
        self.monotonic = monotonic

    async def check(self, actor: User, name: str) -> ProviderCheck:
        require_admin(actor)
        if name not in self.kinds or name not in self.providers:
            raise UnknownProviderName()
        try:
            await self.limiter.check_custom(SCOPE, name, self.limit)
        except RateLimited as exc:
            raise CheckTooSoon(
                f"{name} was checked moments ago (at most {self.limit} per provider). "
                f"Try again in {exc.retry_after} s.",
                retry_after=exc.retry_after,
            ) from None
        provider = self.providers.get(name)
        started = self.monotonic()
        error: ProviderError | None = None
        try:
            async with asyncio.timeout(self.timeout):
                await probe(provider)
        except TimeoutError:
            error = ProviderTimeout(f"no answer within {self.timeout:g} s", provider=name)
        except ProviderError as exc:
            error = exc
        latency = max(0, round((self.monotonic() - started) * 1000))
        if error is not None:
            log.warning(
                "provider_check_failed", provider=name, code=error.code, detail=error.detail
            )
        result = ProviderCheck(
            provider=name,
            provider_type=self.kinds[name],
            ok=error is None,
            latency_ms=latency,
            checked=probe_request(provider),
            code=None if error is None else error.code,
            message=None if error is None else error.public(),
            at=self.clock(),
        )
        self.trail.record(
            "provider.checked",
            Target("provider", name, name),
            after={"ok": result.ok, "latency_ms": latency, "code": result.code},
        )
        return result
