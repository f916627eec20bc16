"""Configuration: environment (``LOCKGATE_*`` and ``.env``) plus a validated ``lockgate.yaml``.

Scalars (secrets, URLs, switches) come from the environment into :class:`Settings`; structured
config (providers, models, prices, later budgets and routes) comes from ``lockgate.yaml`` into
:class:`FileConfig`. This is the only module that reads ``os.environ``.

Example::

    config = load_config()            # raises ConfigError naming the bad key
    config.settings.database_url      # 'sqlite+aiosqlite:///data/lockgate.db'
    config.file.models["sim-small"]   # ModelConfig(provider='simulated', ...)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from limits import parse_many
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from lockgate.documents_settings import DocumentsConfig
from lockgate.gate.config import GateConfig
from lockgate.oidc_settings import SECRET_ENV as OIDC_SECRET_ENV
from lockgate.oidc_settings import OIDCConfig
from lockgate.providers.config import (
    ModelConfig,
    ProviderConfig,
    SimulatedProviderConfig,
    resolve_api_key,
)
from lockgate.secret_strength import GENERATE_HINT, secret_problem

PROVIDER_TYPES = frozenset({"openai", "anthropic", "simulated"})
DEV_SECRET = "dev-insecure-secret-change-me"
MIN_SECRET_LENGTH = 32

# Shutdown timing, stated once. On SIGTERM, so that SIGKILL never lands while a reply is saved:
#
#   PRESTOP_SECONDS (5)   Kubernetes preStop sleep: endpoints stop routing new requests here.
#   chat grace (20)       LOCKGATE_SHUTDOWN_GRACE_SECONDS. uvicorn stops accepting connections and
#                         (server_protocol.SHUTDOWN_HOOK) the app starts `ChatManager.begin_drain`
#                         at once: /health/ready turns 503, a new reply on a kept-alive connection
#                         is refused (503 `draining`, Retry-After: 2) before anything is saved;
#                         live replies may finish; the rest are cut, saved `incomplete`, and their
#                         listeners get the final event (with Redis, on every replica), so their
#                         streams end.
#   uvicorn drain         `timeout_graceful_shutdown` = grace + FINAL_SAVE_SECONDS (cli.py): it
#                         waits for open responses while the chat grace runs, and gives the cut
#                         replies time to be saved before it would cancel anything.
#   FINAL_SAVE_SECONDS    the lifespan's shutdown: the drain is already done; pools close (5).
#
#   terminationGracePeriodSeconds (deploy/k8s/base/deployment.yaml: 45; the Helm chart derives
#   it from its `shutdown` values)
#       > PRESTOP_SECONDS + SHUTDOWN_GRACE_SECONDS + 2 * FINAL_SAVE_SECONDS (35)
#
# tests/deploy/test_shutdown_numbers.py renders the chart and the overlays and checks this. A
# reply whose owner is SIGKILLed anyway is closed `incomplete` by a survivor once its lease
# lapses: within REPLY_LEASE_SECONDS + REPLY_REAP_SECONDS (30 s) of the death, with or without
# Redis; listeners on any replica then get the final event (a listener idle for a lease also asks
# the database).
SHUTDOWN_GRACE_SECONDS = 20.0
PRESTOP_SECONDS = 5.0
FINAL_SAVE_SECONDS = 5.0
REPLY_LEASE_SECONDS = 20.0
REPLY_REAP_SECONDS = 10.0
# Measured with bench/chat.py (one SQLite process, 2 shared cores, instant replies offered at
# 150 msg/s): 8 answered 53 msg/s (p50 154 ms), 16 answered 64 msg/s (p50 354 ms), 32 no more
# than 16 with twice the wait (65 msg/s at 100 offered, p50 771 ms). Above capacity more slots
# only lengthen the queue for a database connection and SQLite's write lock. With PostgreSQL
# (20 pooled connections) 16 held 99/98/94 msg/s answered at 100/150/200 offered, p99 < 0.6 s.
CHAT_MAX_SENDS_IN_FLIGHT = 16


def shutdown_budget_seconds(grace: float) -> float:
    """The longest a clean shutdown can take after SIGTERM with this grace (see above).

    >>> shutdown_budget_seconds(SHUTDOWN_GRACE_SECONDS)
    35.0
    """
    return PRESTOP_SECONDS + grace + 2 * FINAL_SAVE_SECONDS


def uvicorn_drain_seconds(settings: Settings) -> float:
    """uvicorn's `timeout_graceful_shutdown`: the chat grace plus the final saves (see above)."""
    return settings.shutdown_grace_seconds + FINAL_SAVE_SECONDS


class ConfigError(Exception):
    """The configuration cannot be used; the message names the bad key and why."""


class Settings(BaseSettings):
    """Environment settings. Every field is ``LOCKGATE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="LOCKGATE_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    env: Literal["development", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    config_file: Path = Path("lockgate.yaml")
    data_dir: Path = Path("data")
    database_url: str = ""
    migrate_on_start: bool = True
    # How long live replies get to finish on shutdown, per phase (see SHUTDOWN_GRACE_SECONDS).
    shutdown_grace_seconds: float = Field(default=SHUTDOWN_GRACE_SECONDS, ge=0, le=600)
    # A live reply's owner lease: renewed every third of it; a survivor closes the reply as
    # `incomplete` once it lapses. The janitor looks for such replies this often.
    reply_lease_seconds: float = Field(default=REPLY_LEASE_SECONDS, gt=0, le=600)
    reply_reap_seconds: float = Field(default=REPLY_REAP_SECONDS, gt=0, le=600)
    # Live replies' events (chat/live.py): at most this many kept per reply (older ones are
    # folded into a checkpoint, nothing is lost); with Redis, a reply's stream is deleted this
    # long after its end, and a stop for a reply of another replica waits this long for it.
    reply_stream_max_events: int = Field(default=10_000, ge=16, le=1_000_000)
    reply_stream_expire_seconds: float = Field(default=300, gt=0, le=86_400)
    reply_stop_timeout_seconds: float = Field(default=5, gt=0, le=60)
    # Chat sends and regenerates set up at once in one process, from the request's arrival
    # (before the sign-in check) until the reply starts (signed in, read, admitted, two rows
    # written; the reply then runs without a slot). One more is refused at once with 503
    # `overloaded` + Retry-After, before anything is saved (chat/admission.py): past capacity
    # the server sheds instead of queueing every send into seconds. See CHAT_MAX_SENDS_IN_FLIGHT.
    chat_max_sends_in_flight: int = Field(default=CHAT_MAX_SENDS_IN_FLIGHT, ge=1, le=100_000)
    redis_url: str | None = None
    # The response cache's own Redis (cache.store: redis, with the query engine; `redis-cache`,
    # port 6380, in the deployment files), kept apart from the gate's so a full cache never
    # evicts a budget (see lockgate.cache.factory).
    cache_redis_url: str | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    registration: Literal["open", "invite", "first-user-only"] = "open"
    min_password_length: int = Field(default=10, ge=8, le=128)
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    session_idle_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    session_absolute_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    login_limit_per_account: str = "5/minute;30/hour"
    login_limit_per_ip: str = "30/minute"
    # OpenID Connect (the `oidc:` section of lockgate.yaml): the client secret, environment only.
    oidc_client_secret: SecretStr | None = None

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Images in messages (every endpoint): at most this many per request, and at most this many
    # decoded bytes per inline (data URL / base64) image; Anthropic's own per-image cap is 5 MB.
    max_images_per_request: int = Field(default=20, ge=0, le=1000)
    max_image_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Images attached in the web chat (lockgate.attachments): each at most max_image_bytes and
    # this many pixels (a decompression bomb is refused from its header, before any decoding);
    # a message carries at most max_images_per_request; per user at most this many bytes and
    # files stored.
    max_attachment_pixels: int = Field(default=40_000_000, ge=1, le=1_000_000_000)
    attachment_quota_bytes: int = Field(default=500 * 1024 * 1024, ge=0)
    attachment_quota_files: int = Field(default=2_000, ge=0)
    # An image uploaded but never sent (a tab closed before sending) is deleted, file and all,
    # this many hours after its upload (lockgate/attachments/sweeper.py).
    attachment_unsent_hours: float = Field(default=24, gt=0, le=24 * 365)
    # The body limit of the /v1 endpoints that take images inline (max_body_bytes if larger).
    max_vision_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Conversation imports (POST /api/v1/imports, lockgate/transfer/): the file's size (its
    # body limit; refused with 413 before the rest is read), and how many conversations and
    # messages one file may hold. Nothing is imported from a file over any of them. The import
    # is one transaction: on SQLite it holds the write lock while it writes, about 0.2-0.4 ms
    # per message on 2 shared cores (bench/transfer.py: 50,000 messages imported in 12-20 s),
    # so other writers wait that long at most; raise the message limit with PostgreSQL.
    max_import_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_import_conversations: int = Field(default=5_000, ge=1, le=1_000_000)
    max_import_messages: int = Field(default=50_000, ge=1, le=10_000_000)
    # The request target and headers (431 over either): see lockgate/header_limits.py.
    max_header_bytes: int = Field(default=64 * 1024, ge=4096, le=16 * 1024 * 1024)
    max_headers: int = Field(default=100, ge=16, le=10_000)
    max_header_seconds: float = Field(default=30, gt=0, le=600)
    # /v1 keys are cached per process this long; a revocation reaches every replica at once
    # over Redis pub/sub, so the TTL only bounds staleness if such a message is lost.
    key_cache_seconds: float = Field(default=10, ge=0)
    # Run-time budgets, limits and teams reach every replica over Redis pub/sub at once; each
    # process also re-reads them this often, so a lost announcement heals by itself.
    limits_reconcile_seconds: float = Field(default=30, gt=0, le=3600)
    # The console's provider health check (admins): each check is bounded by this timeout, and
    # each provider is checked at most this often (shared by replicas through Redis).
    provider_check_timeout_seconds: float = Field(default=10, gt=0, le=60)
    provider_check_limit: str = Field(default="1/10 seconds", min_length=1, max_length=100)
    # /v1 usage rows are written in batches this often (0.1 s; see usage/writer.py).
    usage_flush_seconds: float = Field(default=0.1, gt=0, le=10)
    cors_origins: list[str] = Field(default_factory=list)
    trusted_proxies: list[str] = Field(default_factory=list)

    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    sentry_dsn: SecretStr | None = Field(default=None, validation_alias="SENTRY_DSN")
    sentry_scrub_content: bool = True
    prometheus_multiproc_dir: Path | None = Field(
        default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("provider_check_limit")
    @classmethod
    def _check_limit(cls, value: str) -> str:
        try:
            items = parse_many(value)
        except ValueError:
            items = []
        if not items or any(item.amount < 1 for item in items):
            raise ValueError(f"cannot read {value!r} as a rate limit (e.g. '1/10 seconds')")
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if "*" in self.cors_origins:
            raise ValueError(
                "cors_origins may not contain '*': credentials (cookies) are used, "
                "list each allowed origin"
            )
        if self.env == "production":
            self._check_secrets()
        return self

    def _check_secrets(self) -> None:
        """Every secret setting must be unguessable in production: long enough and with at
        least 128 bits of estimated entropy (:mod:`lockgate.secret_strength`)."""
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                "LOCKGATE_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters in production. Generate one with: "
                f"{GENERATE_HINT}"
            )
        values = {"LOCKGATE_SECRET_KEY": secret}
        if self.metrics_token is not None:
            values["LOCKGATE_METRICS_TOKEN"] = self.metrics_token.get_secret_value()
        for name, value in values.items():
            problem = secret_problem(name, value)
            if problem is not None:
                raise ValueError(problem)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'lockgate.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


class ChatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title_mode: Literal["first_message", "model"] = "first_message"
    title_model: str | None = None
    default_max_tokens: int = Field(default=1024, ge=1)
    save_interval_ms: int = Field(default=250, ge=10)
    max_message_chars: int = Field(default=100_000, ge=1)


class ResponsesConfig(BaseModel):
    """``/v1/responses`` storage: how long a stored response is kept, how large one may be (its
    input items and response object, as JSON), and how many responses (and bytes, all stored
    responses of the conversation together) a ``previous_response_id`` chain may reach back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_days: int = Field(default=30, ge=1, le=3650)
    max_stored_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, le=256 * 1024 * 1024)
    max_chain: int = Field(default=500, ge=1, le=100_000)
    max_history_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024)


CACHE_THRESHOLD = 0.84
"""Chosen by `make bench-cache` (bench/cache.py) on the 363 labelled pairs in
bench/data/cache_pairs.jsonl with all-MiniLM-L6-v2 and the salience guard (`cache.guard`): the
lowest threshold at which no "different" pair gets past both is 0.79 on both stores; 0.84 adds a
0.05 margin for questions the set does not hold. At 0.84, 75 % of the paraphrases hit and 0 of
192 near-duplicates do; tests/cache/test_cache_pairs.py holds the guarantee."""


class CacheConfig(BaseModel):
    """The ``cache:`` section of lockgate.yaml (the response cache, `lockgate.cache`).

    The names are fixed (operators and scripts rely on them)::

        cache:
          enabled: false         # opt-in: it keeps prompts and answers in a store of its own
          semantic: true         # the semantic layer (only where the rest is identical)
          threshold: 0.84        # cosine similarity of the last user messages for a hit
          scope: owner           # owner (the key on /v1, the user in chat) | global
          ttl_seconds: 86400
          max_temperature: 0.5   # requests above it are neither looked up nor stored
          store: embedded        # embedded (the data dir) | redis (LOCKGATE_CACHE_REDIS_URL)
          embedding_model: local # local | the name of a configured embedding model

    Why off by default: a cache changes what a repeated request returns (the same answer, not a
    new sample) and keeps prompts and answers for ``ttl_seconds``; both are an operator's
    decision. Every other default is what the operator gets by writing ``enabled: true``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    semantic: bool = True
    threshold: float = Field(default=CACHE_THRESHOLD, ge=0.5, le=1.0)
    # owner: a key's or a user's own answers; team: shared by a team's members and keys (a
    # caller in no team keeps to its own); global: everyone's (see cache.policy).
    scope: Literal["owner", "team", "global"] = "owner"
    ttl_seconds: int = Field(default=86_400, ge=1, le=365 * 86_400)
    # None: no ceiling. A request without a temperature is cacheable (see cache.policy).
    max_temperature: float | None = Field(default=0.5, ge=0, le=2)
    store: Literal["embedded", "redis"] = "embedded"
    embedding_model: str = Field(default="local", min_length=1, max_length=200)


SEARCH_MIN_SIMILARITY = 0.3
"""The similarity floor of a meaning match (all-MiniLM-L6-v2, cosine). Measured on the messages of
tests/search/test_search_api.py: paraphrases with no word in common scored 0.36-0.66 against
their message, unrelated messages and nonsense ("xqzv blorf", "asdf") -0.14-0.10; 0.3 keeps every
paraphrase and none of those."""


class SearchConfig(BaseModel):
    """The ``search:`` section of lockgate.yaml (search by meaning, `lockgate.search`)::

        search:
          semantic: true          # embed messages and search by meaning as well as by words
          embedding_model: local  # local | the name of a configured embedding model (paid)
          store: auto             # auto: redis when LOCKGATE_CACHE_REDIS_URL is set, else embedded
                                  # embedded (the data dir, one process) | redis (shared)
          min_similarity: 0.3     # a meaning match below it is no match
          batch_size: 32          # messages embedded together in the background
          queue_size: 10000       # saved messages waiting; past it the sweep picks them up
          sweep_seconds: 300      # how often the indexer looks for messages it has not indexed

    Searching by words needs none of it. With a configured embedding model every message is a
    paid call, billed to the user who wrote (or received) it, through the gate.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    semantic: bool = True
    embedding_model: str = Field(default="local", min_length=1, max_length=200)
    store: Literal["auto", "embedded", "redis"] = "auto"
    min_similarity: float = Field(default=SEARCH_MIN_SIMILARITY, ge=-1.0, le=1.0)
    batch_size: int = Field(default=32, ge=1, le=1024)
    queue_size: int = Field(default=10_000, ge=1, le=1_000_000)
    sweep_seconds: float = Field(default=300, gt=0, le=86_400)

    def resolved_store(self, cache_redis_url: str | None) -> Literal["embedded", "redis"]:
        """``auto``: the cache Redis when LOCKGATE_CACHE_REDIS_URL is set (shared by workers and
        replicas), else the embedded file (one process)."""
        if self.store != "auto":
            return self.store
        return "redis" if cache_redis_url else "embedded"


def _default_providers() -> dict[str, ProviderConfig]:
    return {"simulated": SimulatedProviderConfig(type="simulated")}


def _default_models() -> dict[str, ModelConfig]:
    return {
        "sim-small": ModelConfig(
            provider="simulated",
            context_window=8192,
            max_output_tokens=2048,
            label="Simulated small",
            vision=True,
        ),
        "sim-large": ModelConfig(
            provider="simulated",
            context_window=32768,
            max_output_tokens=4096,
            label="Simulated large",
            vision=True,
        ),
        "sim-image": ModelConfig(provider="simulated", kind="image", label="Simulated images"),
        "sim-embed": ModelConfig(
            provider="simulated", kind="embedding", label="Simulated embeddings"
        ),
    }


class FileConfig(BaseModel):
    """The structured part of the configuration: ``lockgate.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    providers: dict[str, ProviderConfig] = Field(default_factory=_default_providers)
    models: dict[str, ModelConfig] = Field(default_factory=_default_models)
    default_model: str | None = None
    chat: ChatConfig = Field(default_factory=ChatConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
    responses: ResponsesConfig = Field(default_factory=ResponsesConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    documents: DocumentsConfig = Field(default_factory=DocumentsConfig)  # lockgate.documents
    oidc: OIDCConfig | None = None  # OpenID Connect sign-in (lockgate.oidc_settings)

    @model_validator(mode="after")
    def _check_refs(self) -> FileConfig:
        for name, model in self.models.items():
            for fallback in model.fallbacks:
                target = self.models.get(fallback)
                if target is None or target.kind != model.kind or fallback == name:
                    raise ValueError(
                        f"models.{name}.fallbacks: {fallback!r} is not another {model.kind} model"
                    )
            if model.provider not in self.providers:
                known = ", ".join(sorted(self.providers)) or "none"
                raise ValueError(
                    f"models.{name}.provider: unknown provider {model.provider!r} "
                    f"(configured: {known})"
                )
        if self.default_model is not None and self.default_model not in self.models:
            raise ValueError(f"default_model: {self.default_model!r} is not in models")
        for provider in [*self.gate.providers, *self.gate.budgets.providers]:
            if provider not in self.providers:
                raise ValueError(f"gate: unknown provider {provider!r}")
        self._check_cache()
        self._check_search()
        return self

    def _check_cache(self) -> None:
        cache = self.cache
        name = cache.embedding_model
        if name != "local" and (name not in self.models or self.models[name].kind != "embedding"):
            embedding = ", ".join(n for n, m in self.models.items() if m.kind == "embedding")
            raise ValueError(
                f"cache.embedding_model: {name!r} is neither 'local' nor a configured embedding "
                f"model (configured: {embedding or 'none'})"
            )

    def _check_search(self) -> None:
        name = self.search.embedding_model
        if name != "local" and (name not in self.models or self.models[name].kind != "embedding"):
            embedding = ", ".join(n for n, m in self.models.items() if m.kind == "embedding")
            raise ValueError(
                f"search.embedding_model: {name!r} is neither 'local' nor a configured embedding "
                f"model (configured: {embedding or 'none'})"
            )

    @property
    def chat_models(self) -> list[str]:
        return [n for n, m in self.models.items() if m.kind == "chat"]

    @property
    def effective_default_model(self) -> str | None:
        return self.default_model or next(iter(self.chat_models), None)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything configurable, as loaded once at start."""

    settings: Settings
    file: FileConfig
    environ: Mapping[str, str]

    def api_key(self, provider: str) -> str | None:
        return resolve_api_key(self.file.providers[provider], self.environ)


def _format_validation(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"] if not str(p).startswith("function-")]
        if len(loc) > 2 and loc[0] == "providers" and loc[2] in PROVIDER_TYPES:
            del loc[2]  # the discriminator pydantic inserts: providers.<name>.<type>.<key>
        where = ".".join(loc)
        msg = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {where + ': ' if where else ''}{msg}")
    return "\n".join(lines)


def load_file_config(path: Path) -> FileConfig:
    """Read and validate ``lockgate.yaml``; a missing file means the built-in defaults."""
    if not path.exists():
        return FileConfig()
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    try:
        return FileConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, str(path))) from None


def check_oidc_secret(file: FileConfig, settings: Settings) -> None:
    """An ``oidc:`` section without its client secret cannot sign anyone in: refuse to start."""
    if file.oidc is not None and (
        settings.oidc_client_secret is None or not settings.oidc_client_secret.get_secret_value()
    ):
        raise ConfigError(
            f"oidc is configured in lockgate.yaml but {OIDC_SECRET_ENV} is not set: put the "
            "client secret the provider issued for this client in the environment"
        )


def load_config(*, env_file: Path | None = Path(".env"), **overrides: Any) -> Config:
    """Load environment settings and ``lockgate.yaml``; raise :class:`ConfigError` if unusable.

    ``overrides`` take precedence over the environment (used by CLI flags and tests).
    """
    try:
        settings = Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, "environment")) from None
    file = load_file_config(settings.config_file)
    if file.cache.enabled and file.cache.store == "redis" and not settings.cache_redis_url:
        raise ConfigError(
            "cache.store is 'redis' but LOCKGATE_CACHE_REDIS_URL is not set: point it at the "
            "dedicated cache Redis (with the query engine, e.g. redis:8), or use "
            "cache.store: embedded"
        )
    if file.search.semantic and file.search.store == "redis" and not settings.cache_redis_url:
        raise ConfigError(
            "search.store is 'redis' but LOCKGATE_CACHE_REDIS_URL is not set: point it at the "
            "Redis with the query engine (e.g. redis:8), or use search.store: embedded"
        )
    if file.documents.enabled and file.documents.store == "redis" and not settings.cache_redis_url:
        raise ConfigError(
            "documents.store is 'redis' but LOCKGATE_CACHE_REDIS_URL is not set: point it at the "
            "cache Redis (with the query engine, e.g. redis:8), or use documents.store: embedded"
        )
    check_oidc_secret(file, settings)
    return Config(settings=settings, file=file, environ=dict(os.environ))
