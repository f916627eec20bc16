"""The typed State the lifespan yields: every long-lived object, built once by
:func:`lockgate.lifespan.build_state` and never reassigned.

Only the types are imported here (under ``TYPE_CHECKING``): the State names the domain packages'
objects, and their dependencies read it, so a runtime import would be a cycle
(``auth.deps → state → auth``). ``tests/test_layering.py`` keeps it that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import Scope

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from lockgate.auth.login_limit import LoginLimiter
    from lockgate.auth.oidc.provider import OIDCProvider
    from lockgate.auth.oidc.service import NewUserPlacement
    from lockgate.auth.security import PasswordHashing
    from lockgate.cache.service import ResponseCache
    from lockgate.chat.manager import ChatManager
    from lockgate.clock import Clock
    from lockgate.documents.runtime import Documents
    from lockgate.gate.client_id import IPNetwork
    from lockgate.gate.ratelimit import HttpRateLimiter
    from lockgate.gate.service import Gate
    from lockgate.keys.cache import KeyCache
    from lockgate.observability.metrics import Metrics
    from lockgate.providers.registry import ProviderRegistry
    from lockgate.search.meaning import MessageSearch
    from lockgate.settings import Config
    from lockgate.teams.sync import LimitsSync
    from lockgate.usage.writer import UsageWriter

STATE_KEY = "lockgate"
"""Key of the :class:`AppState` in the lifespan state (and so in every request's scope state)."""


@dataclass(frozen=True, slots=True)
class AppState:
    config: Config
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    passwords: PasswordHashing
    login_limiter: LoginLimiter
    http_limiter: HttpRateLimiter
    providers: ProviderRegistry
    gate: Gate
    metrics: Metrics
    redis: Redis | None  # None: one process, memory stores
    trusted_proxies: tuple[IPNetwork, ...]
    key_cache: KeyCache
    usage_writer: UsageWriter
    chat: ChatManager
    cache: ResponseCache | None = None  # None: cache.enabled is false
    oidc: OIDCProvider | None = None  # None: no `oidc:` section (password sign-in only)
    limits: LimitsSync | None = None  # run-time budgets, limits and teams (None: YAML only)
    search: MessageSearch | None = None  # search by meaning (None: search.semantic is off)
    documents: Documents | None = None  # None: documents.enabled is false
    oidc_placement: NewUserPlacement | None = None  # oidc.default_team (None: no team)


def state_of(scope: Scope) -> AppState:
    """The State of the app serving ``scope`` (the lifespan put it in the scope's state)."""
    state: AppState = scope["state"][STATE_KEY]
    return state


def http_limiter_of(scope: Scope) -> HttpRateLimiter:
    """For ``RateLimitMiddleware``: the limiter lives in the State, built by the lifespan."""
    return state_of(scope).http_limiter
