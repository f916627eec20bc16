"""The app factory and its lifespan.

Example::

    app = create_app(load_config())      # what `lockgate serve` runs
    app = create_app(config, clock=FakeClock())   # tests inject time
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from lockgate import __version__
from lockgate.auth.endpoints import router as auth_router
from lockgate.auth.login_limit import LoginLimiter
from lockgate.auth.security import PasswordHashing
from lockgate.chat.endpoints import router as chat_router
from lockgate.chat.leases import LocalLeases, RedisLeases, ReplyJanitor, ReplyLeases
from lockgate.chat.manager import ChatManager
from lockgate.clock import Clock, epoch_seconds, system_clock
from lockgate.conversations.endpoints import router as conversations_router
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.error_handlers import install_error_handlers
from lockgate.gate.client_id import parse_networks
from lockgate.gate.events import BreakerTransitions, BudgetWarnings, GaugeRefresher
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.gateway.endpoints import plain_router as gateway_plain_router
from lockgate.gateway.endpoints import router as gateway_router
from lockgate.gateway.schemas import REQUEST_MODELS as GATEWAY_REQUEST_MODELS
from lockgate.header_limits import HeaderLimits
from lockgate.health.endpoints import router as health_router
from lockgate.health.providers import router as providers_health_router
from lockgate.http.plain_routes import plain_routes
from lockgate.http.ratelimit import RateLimitMiddleware
from lockgate.images.endpoints import router as images_router
from lockgate.keys.cache import KeyCache, RevocationListener
from lockgate.keys.endpoints import router as keys_router
from lockgate.middleware import (
    BodyLimitMiddleware,
    HeaderLimitMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
)
from lockgate.observability.metrics import Metrics
from lockgate.observability.sentry import init_sentry
from lockgate.observability.tracing import Tracing, configure_tracing
from lockgate.observability.wiring import install, running
from lockgate.openapi import install_openapi
from lockgate.providers.registry import ProviderRegistry, Sleep
from lockgate.server_protocol import SHUTDOWN_HOOK
from lockgate.settings import Config, load_config
from lockgate.state import AppState
from lockgate.usage.endpoints import router as usage_router
from lockgate.usage.writer import UsageWriter
from lockgate.web_ui import ui_available, ui_mount


def create_app(
    config: Config,
    *,
    clock: Clock = system_clock,
    passwords: PasswordHashing | None = None,
    provider_sleep: Sleep | None = None,
    tracing: Tracing | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    """Build the app. Tests inject the clock, cheap hashing, tracing, metrics, retry sleep."""
    settings = config.settings
    metrics = metrics or Metrics(multiprocess_dir=settings.prometheus_multiproc_dir)
    for name in config.file.providers:
        metrics.declare_provider(name)
    for name, model in config.file.models.items():
        metrics.declare_model(model.provider, name)
    rate_limits = config.file.gate.rate_limits
    trusted = parse_networks(settings.trusted_proxies)
    http_limiter = HttpRateLimiter(
        settings.redis_url,
        default=rate_limits.default,
        endpoint_limits={
            "chat": rate_limits.chat,
            "images": rate_limits.images,
            "conversations": rate_limits.conversations,
            "auth": rate_limits.auth,
        },
        per_ip=rate_limits.per_ip,
        trusted_proxies=trusted,
        redis_failure=rate_limits.redis_failure,
        clock=epoch_seconds(clock),
    )
    http_limiter.on_reject = metrics.rate_limited

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, object]]:
        engine = create_engine(settings.resolved_database_url)
        redis = create_redis(settings.redis_url) if settings.redis_url else None
        providers = ProviderRegistry(
            config.file.providers,
            config.environ,
            sleep=provider_sleep,
            development=settings.env == "development",
        )
        warnings = BudgetWarnings(config.file.gate.budgets.warn_webhook_url, metrics=metrics)
        state = AppState(
            config=config,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            clock=clock,
            passwords=passwords or PasswordHashing(),
            login_limiter=LoginLimiter(
                settings.login_limit_per_account,
                settings.login_limit_per_ip,
                storage_uri=settings.redis_url,
            ),
            providers=providers,
            gate=build_gate(
                config.file.gate,
                list(config.file.providers),
                redis=redis,
                clock=clock,
                on_threshold=warnings,
                on_transition=BreakerTransitions(metrics),
                metrics=metrics,
            ),
            metrics=metrics,
            redis=redis,
            trusted_proxies=trusted,
        )
        state.key_cache = KeyCache(settings.key_cache_seconds)
        revocations = RevocationListener(state.key_cache, redis) if redis is not None else None
        if revocations is not None:
            revocations.start()
        state.usage_writer = UsageWriter(engine, interval=settings.usage_flush_seconds)
        state.usage_writer.start()
        leases: ReplyLeases = (
            RedisLeases(redis, ttl=settings.reply_lease_seconds)
            if redis is not None
            else LocalLeases()
        )
        state.chat = ChatManager(
            state.sessionmaker,
            clock,
            save_interval=config.file.chat.save_interval_ms / 1000,
            retry_sleep=provider_sleep or asyncio.sleep,
            leases=leases,
        )
        if redis is None:  # the only process: every `streaming` row is an orphan
            await state.chat.recover_orphans()
        janitor = ReplyJanitor(
            state.chat,
            leases,
            state.sessionmaker,
            clock,
            ttl=settings.reply_lease_seconds,
            interval=settings.reply_reap_seconds,
        )
        await janitor.start()
        state.gate.backpressure.start_refresher(
            interval=config.file.gate.gauge_refresh_seconds,
            on_refresh=GaugeRefresher(state.gate, metrics, list(config.file.providers)),
        )
        try:
            async with running(
                metrics,
                tracing=tracing,
                engine=engine,
                metrics_port=settings.metrics_port,
                metrics_host=settings.metrics_host,
                metrics_token=settings.metrics_token,
            ):
                yield {
                    "lockgate": state,
                    SHUTDOWN_HOOK: lambda: state.chat.begin_drain(settings.shutdown_grace_seconds),
                }
        finally:
            await state.chat.shutdown(grace=settings.shutdown_grace_seconds)
            await janitor.aclose()  # after: leases stay renewed while replies finish
            await state.usage_writer.aclose()
            if revocations is not None:
                await revocations.aclose()
            await state.gate.aclose()
            await warnings.aclose()
            await providers.aclose()
            await http_limiter.aclose()
            await state.login_limiter.aclose()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Lockgate",
        version=__version__,
        description="Self-hosted AI chat and OpenAI-compatible gateway.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Tracing is ours (observability/tracing.py, OpenTelemetry's FastAPI instrumentation);
        # FastAPI's native telemetry would add a second server span and per-request checks.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(providers_health_router)
    app.include_router(auth_router)
    app.include_router(conversations_router)
    app.include_router(chat_router)
    app.include_router(usage_router)
    app.include_router(images_router)
    app.include_router(keys_router)
    app.include_router(gateway_plain_router)  # for the OpenAPI document: served by the line below
    app.router.routes[:0] = plain_routes(gateway_plain_router)
    app.include_router(gateway_router)
    install_openapi(app, models=GATEWAY_REQUEST_MODELS)

    # Added last = outermost: log → security headers → header limit → CORS → rate limit → body
    # limit → app.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimitMiddleware, limiter=http_limiter)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Content-Type", "X-CSRF-Token", "Authorization"],
        )
    app.add_middleware(
        HeaderLimitMiddleware,
        limits=HeaderLimits(settings.max_header_bytes, settings.max_headers),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)
    install(
        app,
        metrics,
        tracing=tracing,
        metrics_token=settings.metrics_token,
        serve_on_app=settings.metrics_port is None,
    )
    if ui_available():  # after every route: the UI answers only what the API does not
        app.router.routes.append(ui_mount())
    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn workers (``factory=True``): configuration from the environment."""
    from lockgate.observability.logging import configure_logging

    config = load_config()
    settings = config.settings
    configure_logging(
        settings.log_level, settings.log_format, production=settings.env == "production"
    )
    dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None
    init_sentry(dsn, settings.env, settings.sentry_scrub_content)
    tracing = configure_tracing("lockgate", environ=config.environ)
    return create_app(config, tracing=tracing)
