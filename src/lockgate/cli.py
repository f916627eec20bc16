"""``lockgate`` — serve, migrate, manage users, check the configuration.

Examples::

    lockgate serve --port 8000
    lockgate migrate
    lockgate user create --email admin@example.com --admin
    lockgate check-config
"""

from __future__ import annotations

import asyncio
import math
import sys
from typing import Annotated, Any

import typer

from lockgate import __version__
from lockgate.settings import Config, ConfigError, load_config, uvicorn_drain_seconds

cli = typer.Typer(
    name="lockgate",
    help="Lockgate: self-hosted AI chat and OpenAI-compatible gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_cli = typer.Typer(help="Manage accounts.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")


def _config(**overrides: Any) -> Config:
    try:
        return load_config(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        typer.secho(f"Configuration error:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lockgate {__version__}")
        raise typer.Exit()


@cli.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Lockgate command line."""


async def _migrate(config: Config) -> str | None:
    from lockgate.db.engine import create_engine
    from lockgate.db.migrate import current_revision, upgrade

    engine = create_engine(config.settings.resolved_database_url)
    try:
        await upgrade(engine)
        return await current_revision(engine)
    finally:
        await engine.dispose()


@cli.command()
def migrate() -> None:
    """Apply database migrations up to the latest."""
    config = _config()
    revision = asyncio.run(_migrate(config))
    typer.echo(f"database at revision {revision}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Run the server (applies migrations first unless LOCKGATE_MIGRATE_ON_START=false)."""
    import uvicorn

    from lockgate.header_limits import HeaderLimits
    from lockgate.observability.logging import configure_logging
    from lockgate.server_protocol import limited_http_protocol

    config = _config(host=host, port=port)
    settings = config.settings
    configure_logging(
        settings.log_level, settings.log_format, production=settings.env == "production"
    )
    if workers > 1 and not settings.redis_url:
        typer.secho(
            "Refusing to start several workers without Redis: rate limits, budgets and breakers "
            "would silently become per-process. Set LOCKGATE_REDIS_URL or use --workers 1.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    cache = config.file.cache
    if workers > 1 and cache.enabled and cache.store == "embedded":
        typer.secho(
            "Several workers need cache.store: redis (LOCKGATE_CACHE_REDIS_URL): the embedded "
            "response cache belongs to one process.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    shared = settings.cache_redis_url
    if workers > 1 and (
        (config.file.search.semantic and config.file.search.resolved_store(shared) == "embedded")
        or (
            config.file.documents.enabled
            and config.file.documents.resolved_store(shared) == "embedded"
        )
    ):
        typer.secho(
            "Several workers need one vector index for search by meaning and documents: set "
            "LOCKGATE_CACHE_REDIS_URL (a Redis with the query engine, e.g. redis:8), or turn them "
            "off (search.semantic: false, documents.enabled: false); the embedded index belongs "
            "to one process.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    if workers > 1 and settings.is_sqlite:
        typer.secho(
            "Several workers need PostgreSQL (LOCKGATE_DATABASE_URL=postgresql+asyncpg://…).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    if workers > 1:
        if settings.prometheus_multiproc_dir is None:
            typer.secho(
                "Several workers need PROMETHEUS_MULTIPROC_DIR (an empty directory) so /metrics "
                "adds up every worker's numbers.",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2)
        from lockgate.observability.metrics import prepare_multiprocess_dir

        prepare_multiprocess_dir(settings.prometheus_multiproc_dir)
    if settings.migrate_on_start:
        asyncio.run(_migrate(config))
    uvicorn.run(
        "lockgate.app:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers if not reload else None,
        reload=reload,
        reload_dirs=["src"] if reload else None,
        log_config=None,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        server_header=False,
        # Phase one of the shutdown budget in settings.py (SHUTDOWN_GRACE_SECONDS).
        timeout_graceful_shutdown=max(1, math.ceil(uvicorn_drain_seconds(settings))),
        http=limited_http_protocol(
            HeaderLimits(
                settings.max_header_bytes, settings.max_headers, settings.max_header_seconds
            )
        ),
    )


async def _create_user(config: Config, email: str, password: str, admin: bool) -> str:
    from lockgate.auth.security import PasswordHashing
    from lockgate.auth.service import AuthService
    from lockgate.clock import system_clock
    from lockgate.db.engine import create_engine, create_sessionmaker

    engine = create_engine(config.settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            service = AuthService(
                db, settings=config.settings, passwords=PasswordHashing(), clock=system_clock
            )
            user = await service.register(email, password, None, admin=admin)
            await db.commit()
            return f"created {user.email} ({'admin' if user.is_admin else 'user'}) id={user.id}"
    finally:
        await engine.dispose()


@user_cli.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The account's email.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an admin.")] = False,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Prompted for when omitted (or piped on stdin).",
        ),
    ] = "",
) -> None:
    """Create an account (admins can also create invites)."""
    from lockgate.errors import AppError

    config = _config()
    asyncio.run(_migrate(config))
    try:
        typer.echo(asyncio.run(_create_user(config, email, password, admin)))
    except AppError as exc:
        typer.secho(f"{exc.code}: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@cli.command("check-config")
def check_config() -> None:
    """Validate the environment and lockgate.yaml, and print a summary (no secrets)."""
    config = _config()
    s, f = config.settings, config.file
    typer.echo(f"environment: {s.env}")
    typer.echo(f"database: {s.resolved_database_url.split('@')[-1]}")
    typer.echo(f"redis: {'configured' if s.redis_url else 'none (single process)'}")
    typer.echo(
        f"config file: {s.config_file} ({'found' if s.config_file.exists() else 'defaults'})"
    )
    for name, provider in f.providers.items():
        key = config.api_key(name)
        has_key = "key set" if key else "no key"
        typer.echo(f"provider {name}: {provider.type} ({has_key})")
    for name, model in f.models.items():
        typer.echo(f"model {name}: {model.kind} via {model.provider}")
    typer.echo("configuration OK")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
