"""The app factory: routes and middleware (the lifespan and its State: lifespan.py).

Example::

    app = create_app(load_config())      # what `lockgate serve` runs
    app = create_app(config, clock=FakeClock())   # tests inject time
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from lockgate import __version__
from lockgate.admin.endpoints import router as admin_router
from lockgate.attachments.endpoints import router as attachments_router
from lockgate.attachments.endpoints import upload_body_limit
from lockgate.audit.endpoints import router as audit_router
from lockgate.auth.endpoints import router as auth_router
from lockgate.auth.oidc.endpoints import router as oidc_router
from lockgate.auth.security import PasswordHashing
from lockgate.cache.endpoints import router as cache_router
from lockgate.catalog.endpoints import router as catalog_router
from lockgate.chat.endpoints import router as chat_router
from lockgate.clock import Clock, system_clock
from lockgate.conversations.endpoints import router as conversations_router
from lockgate.documents.endpoints import UPLOAD_PATH as DOCUMENTS_UPLOAD_PATH
from lockgate.documents.endpoints import router as documents_router
from lockgate.error_handlers import install_error_handlers
from lockgate.folders.endpoints import router as folders_router
from lockgate.gateway.endpoints import DEFERRED_LIMIT_PATHS
from lockgate.gateway.endpoints import router as gateway_router
from lockgate.gateway.fastpath import LockgateApp, gateway_routes
from lockgate.gateway.messages_endpoints import router as messages_router
from lockgate.gateway.messages_schemas import MESSAGES_REQUEST_MODELS
from lockgate.gateway.responses.endpoints import SCHEMAS as RESPONSES_SCHEMAS
from lockgate.gateway.responses.endpoints import router as responses_router
from lockgate.gateway.schemas import REQUEST_MODELS as GATEWAY_REQUEST_MODELS
from lockgate.header_limits import HeaderLimits
from lockgate.health.endpoints import router as health_router
from lockgate.health.providers import router as providers_health_router
from lockgate.http.ratelimit import RateLimitMiddleware
from lockgate.images.endpoints import router as images_router
from lockgate.keys.endpoints import router as keys_router
from lockgate.lifespan import lifespan_for
from lockgate.middleware import (
    BodyLimitMiddleware,
    HeaderLimitMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
)
from lockgate.observability.metrics import Metrics
from lockgate.observability.sentry import init_sentry
from lockgate.observability.tracing import Tracing, configure_tracing
from lockgate.observability.wiring import install
from lockgate.openapi import install_openapi
from lockgate.presets.endpoints import router as presets_router
from lockgate.prompts.endpoints import router as prompts_router
from lockgate.providers.registry import Sleep
from lockgate.search.endpoints import router as search_router
from lockgate.settings import Config, load_config
from lockgate.shares.endpoints import router as shares_router
from lockgate.spend.endpoints import router as spend_router
from lockgate.state import http_limiter_of
from lockgate.teams.endpoints import router as teams_router
from lockgate.teams.limits_endpoints import router as limits_router
from lockgate.transfer.endpoints import IMPORT_PATH
from lockgate.transfer.endpoints import router as transfer_router
from lockgate.usage.endpoints import router as usage_router
from lockgate.usage.export_endpoints import router as usage_export_router
from lockgate.web_ui import ui_available, ui_mount

# The endpoints that take images inline: their bodies may be larger (max_vision_body_bytes).
VISION_PATHS = ("/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens")


def create_app(
    config: Config,
    *,
    clock: Clock = system_clock,
    passwords: PasswordHashing | None = None,
    provider_sleep: Sleep | None = None,
    tracing: Tracing | None = None,
    metrics: Metrics | None = None,
    settle_heap: bool = False,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
) -> LockgateApp:
    """Build the app. Tests inject the clock, cheap hashing, tracing, metrics, retry sleep;
    a serving worker settles its heap once started (`lockgate.heap`)."""
    settings = config.settings
    metrics = metrics or Metrics(multiprocess_dir=settings.prometheus_multiproc_dir)
    for name in config.file.providers:
        metrics.declare_provider(name)
    for name, model in config.file.models.items():
        metrics.declare_model(model.provider, name)
    app = LockgateApp(
        title="Lockgate",
        version=__version__,
        description="Self-hosted AI chat and OpenAI-compatible gateway.",
        lifespan=lifespan_for(
            config,
            clock=clock,
            metrics=metrics,
            passwords=passwords,
            provider_sleep=provider_sleep,
            tracing=tracing,
            settle_heap=settle_heap,
            oidc_transport=oidc_transport,
        ),
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
    app.include_router(oidc_router)
    app.include_router(conversations_router)
    app.include_router(folders_router)
    app.include_router(presets_router)
    app.include_router(chat_router)
    app.include_router(usage_router)
    app.include_router(usage_export_router)
    app.include_router(images_router)
    app.include_router(documents_router)
    app.include_router(attachments_router)
    app.include_router(keys_router)
    app.include_router(prompts_router)
    app.include_router(teams_router)
    app.include_router(limits_router)
    app.include_router(cache_router)
    app.include_router(transfer_router)
    app.include_router(shares_router)
    app.include_router(search_router)
    app.include_router(admin_router)
    app.include_router(catalog_router)
    app.include_router(audit_router)
    app.include_router(spend_router)
    app.include_router(gateway_router)
    app.include_router(messages_router)
    app.include_router(responses_router)
    install_openapi(
        app, models=GATEWAY_REQUEST_MODELS + MESSAGES_REQUEST_MODELS + RESPONSES_SCHEMAS
    )

    # Added last = outermost: log → security headers → header limit → CORS → rate limit → body
    # limit → app.
    vision_body = max(settings.max_body_bytes, settings.max_vision_body_bytes)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={
            **dict.fromkeys(VISION_PATHS, vision_body),
            IMPORT_PATH: max(settings.max_body_bytes, settings.max_import_bytes),
            DOCUMENTS_UPLOAD_PATH: max(
                settings.max_body_bytes, config.file.documents.max_upload_bytes
            ),
            **upload_body_limit(settings.max_image_bytes),
        },
    )
    app.add_middleware(RateLimitMiddleware, limiter=http_limiter_of, deferred=DEFERRED_LIMIT_PATHS)
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
    if tracing is None or not tracing.enabled:  # see gateway/fastpath.py
        app.serve_fast(
            gateway_routes(
                [*gateway_router.routes, *messages_router.routes, *responses_router.routes]
            )
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
    return create_app(config, tracing=tracing, settle_heap=True)
