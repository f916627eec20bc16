"""Each provider's last failure, for the health page: in this process, and in Redis when shared.

Every replica reports the same last error when they share a Redis (``share``); without one, each
process knows its own. A Redis failure never fails the call that noted the error (logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from lockgate.clock import Clock
from lockgate.observability.logging import get_logger
from lockgate.providers.errors import ProviderError

log = get_logger("lockgate.gate")


@dataclass(frozen=True, slots=True)
class LastError:
    """A provider's last failure: ``message`` is ours (safe for every user), ``detail`` the
    upstream's own text (admins only: it may name internal hosts, files, accounts)."""

    code: str
    message: str
    at: datetime
    detail: str = ""


class LastErrors:
    """The last error per provider (see the module docstring)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._local: dict[str, LastError] = {}
        self._redis: Redis | None = None

    def share(self, redis: Redis) -> None:
        self._redis = redis

    async def note(self, provider: str, failure: ProviderError) -> None:
        """Log a provider call's failure with its detail and keep it as the provider's last."""
        log.warning(
            "provider_call_failed",
            provider=provider,
            code=failure.code,
            status=failure.status,
            detail=failure.detail,
        )
        error = LastError(
            code=failure.code,
            message=failure.public(),
            at=self._clock(),
            detail=failure.detail[:300],
        )
        self._local[provider] = error
        if self._redis is not None:
            try:
                await self._redis.hset(
                    f"lockgate:last_error:{provider}",
                    mapping={
                        "code": error.code,
                        "message": error.message,
                        "at": error.at.isoformat(),
                        "detail": error.detail,
                    },
                )
            except RedisError as exc:
                log.warning("last_error_not_shared", provider=provider, error=str(exc))

    async def get(self, provider: str) -> LastError | None:
        if self._redis is not None:
            try:
                raw = await self._redis.hgetall(f"lockgate:last_error:{provider}")
            except RedisError:
                raw = {}
            if raw:
                fields = {_text(k): _text(v) for k, v in raw.items()}
                return LastError(
                    fields["code"],
                    fields["message"],
                    datetime.fromisoformat(fields["at"]),
                    fields.get("detail", ""),
                )
        return self._local.get(provider)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
