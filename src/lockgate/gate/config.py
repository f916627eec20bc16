"""The ``gate:`` section of ``lockgate.yaml``: budgets, limits, breakers, backpressure, headroom.

Example::

    gate:
      budgets:
        timezone: UTC
        providers: {openai: {daily_usd: 50}}
        users: {daily_usd: 2, monthly_usd: 20}
      user_limits: {rpm: 60, tpm: 200000}
      rate_limits:
        default: 100/minute
        chat: 10/10 seconds;60/minute
      providers:
        openai: {rpm: 500, tpm: 200000, max_concurrent: 32, max_queue: 64, max_wait_seconds: 10}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderBudget(_Strict):
    daily_usd: Decimal | None = Field(default=None, ge=0)
    monthly_usd: Decimal | None = Field(default=None, ge=0)


class UserBudget(_Strict):
    daily_usd: Decimal | None = Field(default=None, ge=0)
    monthly_usd: Decimal | None = Field(default=None, ge=0)


class UserRateLimits(_Strict):
    """Every user's default requests and tokens per minute sent to providers (chat and /v1);
    admins can override them per user in the console."""

    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)


class BudgetsConfig(_Strict):
    timezone: str = "UTC"
    providers: dict[str, ProviderBudget] = Field(default_factory=dict)
    users: UserBudget = Field(default_factory=UserBudget)
    lease_seconds: float = Field(default=600, gt=0)
    warn_webhook_url: HttpUrl | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


def _limit_string(value: str) -> str:
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a rate limit like '10/second;100/minute'") from None
    return value


class RateLimitsConfig(_Strict):
    default: str = "100/minute"
    chat: str = "10/10 seconds;60/minute"
    images: str = "10/minute"
    conversations: str = "120/minute"
    gateway: str = "600/minute"
    auth: str = "20/minute"
    # The public share page's API (/api/v1/shared/{token}), per IP like sign-in: a reader needs
    # one request per page view; guessing tokens gets nowhere at this pace.
    shares: str = "60/minute"
    per_ip: str | None = "600/minute"
    redis_failure: Literal["open", "closed"] = "open"

    @field_validator("default", "chat", "images", "conversations", "gateway", "auth", "shares")
    @classmethod
    def _parse(cls, value: str) -> str:
        return _limit_string(value)


class ProviderGate(_Strict):
    """Per-provider headroom and concurrency."""

    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    max_concurrent: int = Field(default=64, ge=1)
    max_queue: int = Field(default=128, ge=0)
    max_wait_seconds: float = Field(default=10, ge=0)


class BreakerSettings(_Strict):
    window_seconds: float = Field(default=60, gt=0)
    failure_ratio: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=10, ge=1)
    consecutive_failures: int = Field(default=5, ge=1)
    cooldown_seconds: float = Field(default=10, gt=0)
    max_cooldown_seconds: float = Field(default=300, gt=0)
    half_open_probes: int = Field(default=3, ge=1)
    success_threshold: int = Field(default=2, ge=1)


class RetrySettings(_Strict):
    """Retries of one candidate before the first token (then the next candidate is tried)."""

    attempts: int = Field(default=2, ge=1, le=10)
    initial_backoff_seconds: float = Field(default=0.2, ge=0)
    max_backoff_seconds: float = Field(default=2, ge=0)


class GateConfig(_Strict):
    budgets: BudgetsConfig = Field(default_factory=BudgetsConfig)
    rate_limits: RateLimitsConfig = Field(default_factory=RateLimitsConfig)
    user_limits: UserRateLimits = Field(default_factory=UserRateLimits)
    providers: dict[str, ProviderGate] = Field(default_factory=dict)
    default_provider: ProviderGate = Field(default_factory=ProviderGate)
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    gauge_refresh_seconds: float = Field(default=15, gt=0)

    def provider(self, name: str) -> ProviderGate:
        return self.providers.get(name, self.default_provider)
