"""Building providers from config, and owning them for the life of the app.

The app's lifespan creates one `ProviderRegistry`, keeps it on its State and closes it on
shutdown, so each provider's HTTP session (and its connection pool) is created at most once::

    async with ProviderRegistry(settings.providers, os.environ) as providers:
        provider = providers.get("openai")

Tests point HTTP providers at a local server through their `base_url` (tests/providers/wire.py)
and pass a no-op `sleep` for the simulated providers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import TracebackType
from typing import Self, assert_never

from lockgate.clock import Clock, system_clock
from lockgate.providers.anthropic import AnthropicProvider
from lockgate.providers.base import Provider
from lockgate.providers.config import (
    AnthropicProviderConfig,
    OpenAIProviderConfig,
    ProviderConfig,
    SimulatedProviderConfig,
    resolve_api_key,
)
from lockgate.providers.openai import OpenAIProvider
from lockgate.providers.simulated import SimulatedProvider, Sleep

__all__ = ["ProviderRegistry", "Sleep", "UnknownProvider", "build_provider"]


class UnknownProvider(KeyError):
    """A name that no `providers:` entry defines (a KeyError, so `except KeyError` still works)."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        known = ", ".join(self.known) or "none"
        return f"unknown provider {self.name!r} (configured: {known})"


def build_provider(
    name: str,
    cfg: ProviderConfig,
    environ: Mapping[str, str],
    *,
    sleep: Sleep | None = None,
    clock: Clock = system_clock,
    development: bool = False,
) -> Provider:
    """One provider from its config; the API key is read from `environ` here and only here.

    `sleep` reaches simulated providers, `clock` the HTTP ones (it dates quota headers).
    `development` turns on the simulated providers' directives unless their config says.
    """
    api_key = resolve_api_key(cfg, environ)
    if isinstance(cfg, OpenAIProviderConfig):
        return OpenAIProvider(name, cfg, api_key, clock=clock)
    if isinstance(cfg, AnthropicProviderConfig):
        return AnthropicProvider(name, cfg, api_key, clock=clock)
    if isinstance(cfg, SimulatedProviderConfig):
        return SimulatedProvider(name, cfg, sleep or asyncio.sleep, directives=development)
    assert_never(cfg)


class ProviderRegistry:
    """Every configured provider by name; `aclose` releases all their sessions."""

    def __init__(
        self,
        configs: Mapping[str, ProviderConfig],
        environ: Mapping[str, str],
        *,
        sleep: Sleep | None = None,
        clock: Clock = system_clock,
        development: bool = False,
    ) -> None:
        self._providers: dict[str, Provider] = {
            name: build_provider(
                name, cfg, environ, sleep=sleep, clock=clock, development=development
            )
            for name, cfg in configs.items()
        }

    def get(self, name: str) -> Provider:
        try:
            return self._providers[name]
        except KeyError:
            raise UnknownProvider(name, self.names()) from None

    def names(self) -> list[str]:
        return list(self._providers)

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    async def aclose(self) -> None:
        """Close every provider, even if some fail; their errors are raised together after."""
        errors: list[Exception] = []
        for provider in self._providers.values():
            try:
                await provider.aclose()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise ExceptionGroup("closing providers failed", errors)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
