"""The lifespan: :func:`build_state` creates every long-lived object once, registering its
teardown on an ``AsyncExitStack`` as it goes, and returns the frozen :class:`AppState`.

One place for the order. Teardown is the reverse of creation: live replies finish first (their
leases are still renewed and their usage still written), then the background writers and
listeners, the gate, the providers, the limiters, Redis, and the database last. A failure halfway
through start-up closes what was already open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from lockgate import heap
from lockgate.attachments.storage import attachment_storage
from lockgate.attachments.sweeper import UnsentSweeper
from lockgate.auth.login_limit import LoginLimiter
from lockgate.auth.oidc.provider import build_oidc
from lockgate.auth.security import PasswordHashing
from lockgate.cache.factory import build_cache
from lockgate.calls.cached import cache_embedder
from lockgate.chat.admission import SendAdmission
from lockgate.chat.leases import LocalLeases, RedisLeases, ReplyJanitor, ReplyLeases
from lockgate.chat.live import LiveReplies, MemoryLiveReplies
from lockgate.chat.live_redis import RedisLiveReplies
from lockgate.chat.manager import ChatManager
from lockgate.clock import Clock, epoch_seconds
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.gate.client_id import IPNetwork, parse_networks
from lockgate.gate.events import BreakerTransitions, BudgetWarnings, GaugeRefresher
from lockgate.gate.factory import build_gate, create_redis
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.keys.cache import KeyCache, RevocationListener
from lockgate.observability.metrics import Metrics
from lockgate.observability.tracing import Tracing
from lockgate.observability.wiring import running
from lockgate.providers.registry import ProviderRegistry, Sleep
from lockgate.server_protocol import SHUTDOWN_HOOK
from lockgate.settings import Config
from lockgate.state import STATE_KEY, AppState
from lockgate.teams.placement import DefaultTeamPlacement
from lockgate.teams.sync import LimitsSync
from lockgate.usage.writer import UsageWriter

if TYPE_CHECKING:
    from lockgate.documents.runtime import Documents
    from lockgate.search.meaning import MessageSearch


def build_http_limiter(
    config: Config, clock: Clock, metrics: Metrics, trusted_proxies: tuple[IPNetwork, ...]
) -> HttpRateLimiter:
    """The global and per-endpoint HTTP limits (``RateLimitMiddleware``, ``endpoint_limit``)."""
    settings = config.settings
    rate_limits = config.file.gate.rate_limits
    limiter = HttpRateLimiter(
        settings.redis_url,
        default=rate_limits.default,
        endpoint_limits={
            "chat": rate_limits.chat,
            "images": rate_limits.images,
            "conversations": rate_limits.conversations,
            "auth": rate_limits.auth,
            "shares": rate_limits.shares,
        },
        per_ip=rate_limits.per_ip,
        trusted_proxies=trusted_proxies,
        redis_failure=rate_limits.redis_failure,
        clock=epoch_seconds(clock),
    )
    limiter.on_reject = metrics.rate_limited
    return limiter


async def build_state(
    config: Config,
    stack: AsyncExitStack,
    *,
    clock: Clock,
    metrics: Metrics,
    passwords: PasswordHashing | None = None,
    provider_sleep: Sleep | None = None,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
) -> AppState:
    """Every long-lived object, each one's teardown pushed on ``stack`` right after it exists."""
    settings = config.settings
    oidc = build_oidc(config, clock=clock, transport=oidc_transport)  # refuses an incomplete one
    if oidc is not None:
        stack.push_async_callback(oidc.aclose)
    engine = create_engine(settings.resolved_database_url)
    stack.push_async_callback(engine.dispose)
    redis = create_redis(settings.redis_url) if settings.redis_url else None
    if redis is not None:
        stack.push_async_callback(redis.aclose)
    login_limiter = LoginLimiter(
        settings.login_limit_per_account,
        settings.login_limit_per_ip,
        storage_uri=settings.redis_url,
    )
    stack.push_async_callback(login_limiter.aclose)
    trusted_proxies = parse_networks(settings.trusted_proxies)
    http_limiter = build_http_limiter(config, clock, metrics, trusted_proxies)
    stack.push_async_callback(http_limiter.aclose)
    providers = ProviderRegistry(
        config.file.providers,
        config.environ,
        sleep=provider_sleep,
        development=settings.env == "development",
    )
    stack.push_async_callback(providers.aclose)
    sessionmaker = create_sessionmaker(engine)
    warnings = BudgetWarnings(config.file.gate.budgets.warn_webhook_url, metrics=metrics)
    stack.push_async_callback(warnings.aclose)
    gate = build_gate(
        config.file.gate,
        list(config.file.providers),
        redis=redis,
        clock=clock,
        on_threshold=warnings,
        on_transition=BreakerTransitions(metrics),
        metrics=metrics,
    )
    gate.defer_settles()  # Redis: settles batched off the request path (gate/settle_queue.py)
    # The limiter and the gate share settings.redis_url: a /v1 chat completion's global limit
    # is counted in the gate's admit round trip (gate/ratelimit/pending.py).
    http_limiter.fuse_with_gate = gate.redis_gate is not None
    stack.push_async_callback(gate.aclose)
    key_cache = KeyCache(settings.key_cache_seconds)
    if redis is not None:
        revocations = RevocationListener(key_cache, redis)
        revocations.start()
        stack.push_async_callback(revocations.aclose)
    usage_writer = UsageWriter(engine, interval=settings.usage_flush_seconds)
    usage_writer.start()
    stack.push_async_callback(usage_writer.aclose)
    embedder = await cache_embedder(
        config.file, stack, providers=providers, gate=gate, usage=usage_writer, clock=clock
    )
    cache = await build_cache(
        config.file.cache,
        stack,
        data_dir=settings.data_dir,
        redis_url=settings.cache_redis_url,
        clock=clock,
        metrics=metrics,
        embedder=embedder,
        team_of=gate.team_of,
    )
    documents = await _documents(
        config,
        stack,
        data_dir=settings.data_dir,
        redis_url=settings.cache_redis_url,
        clock=clock,
        sessionmaker=sessionmaker,
        embedder=embedder if config.file.cache.embedding_model == "local" else None,
    )
    search = await _search(
        config,
        stack,
        sessionmaker=sessionmaker,
        data_dir=settings.data_dir,
        cache_redis_url=settings.cache_redis_url,
        clock=clock,
        providers=providers,
        gate=gate,
        usage=usage_writer,
        shared_local=embedder if config.file.cache.embedding_model == "local" else None,
    )
    limits = LimitsSync(gate.book, sessionmaker, redis, interval=settings.limits_reconcile_seconds)
    await limits.start()
    stack.push_async_callback(limits.aclose)
    placement = None
    if oidc is not None and oidc.config.default_team is not None:
        placement = DefaultTeamPlacement(oidc.config.default_team, clock=clock)
        await placement.check(sessionmaker)  # a misspelt team refuses to start, named
    leases: ReplyLeases = (
        RedisLeases(redis, ttl=settings.reply_lease_seconds) if redis is not None else LocalLeases()
    )
    live: LiveReplies = MemoryLiveReplies(settings.reply_stream_max_events)
    if redis is not None:
        live = RedisLiveReplies(
            redis,
            max_events=settings.reply_stream_max_events,
            expire_seconds=settings.reply_stream_expire_seconds,
            idle_check_seconds=settings.reply_lease_seconds,
        )
    chat = ChatManager(
        sessionmaker,
        clock,
        save_interval=config.file.chat.save_interval_ms / 1000,
        retry_sleep=provider_sleep or asyncio.sleep,
        leases=leases,
        live=live,
        stop_timeout=settings.reply_stop_timeout_seconds,
        admission=SendAdmission(settings.chat_max_sends_in_flight, metrics=metrics),
        on_saved=search.indexer.saved if search is not None else None,
    )
    await chat.open()
    stack.push_async_callback(chat.aclose)  # after the drain: the cut replies' finals are written
    if redis is None:  # the only process: every `streaming` row is an orphan
        await chat.recover_orphans()
    janitor = ReplyJanitor(
        chat,
        leases,
        sessionmaker,
        clock,
        ttl=settings.reply_lease_seconds,
        interval=settings.reply_reap_seconds,
        on_closed=chat.publish_closed,
    )
    await janitor.start()
    stack.push_async_callback(janitor.aclose)  # after the replies: leases stay renewed meanwhile
    stack.push_async_callback(chat.shutdown, grace=settings.shutdown_grace_seconds)
    sweeper = UnsentSweeper(
        sessionmaker,
        attachment_storage(settings.data_dir),
        clock,
        max_age=timedelta(hours=settings.attachment_unsent_hours),
    )
    sweeper.start()
    stack.push_async_callback(sweeper.aclose)
    gate.backpressure.start_refresher(
        interval=config.file.gate.gauge_refresh_seconds,
        on_refresh=GaugeRefresher(gate, metrics, list(config.file.providers)),
    )
    return AppState(
        config=config,
        engine=engine,
        sessionmaker=sessionmaker,
        clock=clock,
        passwords=passwords or PasswordHashing(),
        login_limiter=login_limiter,
        http_limiter=http_limiter,
        providers=providers,
        gate=gate,
        metrics=metrics,
        redis=redis,
        trusted_proxies=trusted_proxies,
        key_cache=key_cache,
        usage_writer=usage_writer,
        chat=chat,
        cache=cache,
        oidc=oidc,
        limits=limits,
        search=search,
        documents=documents,
        oidc_placement=placement,
    )


def lifespan_for(
    config: Config,
    *,
    clock: Clock,
    metrics: Metrics,
    passwords: PasswordHashing | None = None,
    provider_sleep: Sleep | None = None,
    tracing: Tracing | None = None,
    settle_heap: bool = False,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
) -> Callable[[Any], AbstractAsyncContextManager[dict[str, object]]]:
    """The app's lifespan: the State for requests, and the server protocol's shutdown hook."""
    settings = config.settings

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[dict[str, object]]:
        async with AsyncExitStack() as stack:
            state = await build_state(
                config,
                stack,
                clock=clock,
                metrics=metrics,
                passwords=passwords,
                provider_sleep=provider_sleep,
                oidc_transport=oidc_transport,
            )
            await stack.enter_async_context(
                running(
                    metrics,
                    tracing=tracing,
                    engine=state.engine,
                    metrics_port=settings.metrics_port,
                    metrics_host=settings.metrics_host,
                    metrics_token=settings.metrics_token,
                )
            )
            if settle_heap:  # a serving worker: see lockgate.heap
                heap.settle()
            yield {
                STATE_KEY: state,
                SHUTDOWN_HOOK: lambda: state.chat.begin_drain(settings.shutdown_grace_seconds),
            }

    return lifespan


# Search by meaning and documents are imported only when they are on: their vector layers (numpy,
# the local model's runtime) would otherwise cost every worker ~15 MB (issue 16: RSS per worker).
async def _documents(config: Config, stack: AsyncExitStack, **kwargs: Any) -> Documents | None:
    if not config.file.documents.enabled:
        return None
    from lockgate.documents.runtime import build_documents

    return await build_documents(config.file.documents, stack, **kwargs)


async def _search(config: Config, stack: AsyncExitStack, **kwargs: Any) -> MessageSearch | None:
    if not config.file.search.semantic:
        return None
    from lockgate.search.factory import build_search

    return await build_search(config.file, stack, **kwargs)
