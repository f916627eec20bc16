"""The typed State the lifespan yields; every long-lived object hangs off it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lockgate.auth.login_limit import LoginLimiter
from lockgate.auth.security import PasswordHashing
from lockgate.clock import Clock
from lockgate.gate.client_id import IPNetwork
from lockgate.gate.service import Gate
from lockgate.keys.cache import KeyCache
from lockgate.observability.metrics import Metrics
from lockgate.providers.registry import ProviderRegistry
from lockgate.settings import Config

if TYPE_CHECKING:
    from lockgate.chat.manager import ChatManager
    from lockgate.usage.writer import UsageWriter


@dataclass(slots=True)
class AppState:
    config: Config
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    passwords: PasswordHashing
    login_limiter: LoginLimiter
    providers: ProviderRegistry
    gate: Gate
    metrics: Metrics
    redis: Redis | None = None
    trusted_proxies: tuple[IPNetwork, ...] = ()
    chat: ChatManager | None = None
    usage_writer: UsageWriter | None = None
    key_cache: KeyCache = field(default_factory=lambda: KeyCache(10.0))
    extras: dict[str, Any] = field(default_factory=dict)
