"""Error reporting to Sentry: only with a DSN, secrets scrubbed, and never a cause of failure.

::

    init_sentry(settings.sentry_dsn, environment=settings.env, scrub_content=True)
    ...
    report_exception(exc)      # for failures that never reach the ASGI layer (background tasks)

Every event passes :func:`scrub_event` before it leaves the process: cookies, ``Authorization``,
``X-CSRF-Token`` and other credential-named fields become ``[Filtered]`` wherever they are, and
strings anywhere in the event lose API keys (``lg-…``, ``sk-…``, ``Bearer …``). With
``scrub_content`` the words people write to models stay out too: request bodies are not sent,
stack-frame local variables are dropped and fields named like message content are filtered.

Guards: a failure inside the scrubber drops the event (never sends it unscrubbed) and is logged to
our own log, not to Sentry; a bad DSN is logged and Lockgate runs on without Sentry. Without a
DSN the SDK is never imported (~10 MB of every worker's memory).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lockgate import __version__
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.observability.sentry")
_on = False  # init_sentry succeeded in this process

FILTERED = "[Filtered]"
SENSITIVE_KEYS = frozenset(
    {
        "authorization", "proxy_authorization", "cookie", "cookies", "set_cookie",
        "x_csrf_token", "csrf_token", "x_api_key", "api_key", "apikey", "api_keys",
        "password", "new_password", "current_password", "secret", "secret_key", "token",
        "access_token", "refresh_token", "session", "lockgate_session", "lockgate_csrf",
    }
)  # fmt: skip
CONTENT_KEYS = frozenset(
    {"content", "messages", "prompt", "input", "system_prompt", "text", "title"}
)
_SECRET_PATTERNS = (
    re.compile(r"\b(?:lg|sk)-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"(?i)\b(?:api[_-]?key|token|secret|password)=[^&\s\"']+"),
)

Event = dict[str, Any]
# Sentry's own hook types are TypedDicts of its private module; ours work on any mapping.
Hook = Callable[[Any, Any], Any]


def _normalise(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def scrub_text(text: str) -> str:
    """``"key sk-abc123def456"`` → ``"key [Filtered]"``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(FILTERED, text)
    return text


def _scrub(value: Any, scrub_content: bool) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        cleaned: dict[Any, Any] = {}
        for key, item in value.items():
            name = _normalise(key) if isinstance(key, str) else ""
            if name in SENSITIVE_KEYS or (scrub_content and name in CONTENT_KEYS):
                cleaned[key] = FILTERED
            else:
                cleaned[key] = _scrub(item, scrub_content)
        return cleaned
    if isinstance(value, list | tuple):
        return [_scrub(item, scrub_content) for item in value]
    return value


def scrub_event(event: Event, scrub_content: bool) -> Event:
    """A copy of a Sentry event (or breadcrumb) without credentials, and optionally content."""
    scrubbed: Event = _scrub(event, scrub_content)
    if scrub_content:
        request = scrubbed.get("request")
        if isinstance(request, dict) and "data" in request:
            request["data"] = FILTERED
        for frame in _frames(scrubbed):
            frame.pop("vars", None)
    return scrubbed


def _frames(event: Event) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    for section in ("exception", "threads"):
        holder = event.get(section)
        entries = holder.get("values", []) if isinstance(holder, dict) else []
        for entry in entries:
            stack = entry.get("stacktrace") if isinstance(entry, dict) else None
            if isinstance(stack, dict):
                frames.extend(f for f in stack.get("frames", []) if isinstance(f, dict))
    return frames


def guarded(hook: Hook) -> Hook:
    """Wrap a Sentry hook: an exception inside it drops the event and is logged, never raised."""

    def safe(event: Any, hint: Any) -> Any:
        try:
            return hook(event, hint)
        except Exception as exc:
            log.error("sentry_hook_failed", hook=getattr(hook, "__name__", "hook"), error=repr(exc))
            return None

    return safe


def init_sentry(
    dsn: str | None,
    environment: str,
    scrub_content: bool,
    *,
    release: str | None = None,
) -> bool:
    """Start Sentry when `dsn` is set; True when it is on. Never raises."""
    global _on
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    def before_send(event: Event, _hint: dict[str, Any]) -> Event | None:
        return scrub_event(event, scrub_content)

    # No ``send_default_pii``: its default already sends no PII, and recent SDKs deprecate the
    # option (a warning is an error in our tests) in favour of ``data_collection``, which would
    # turn the event scrubber off. Bodies and frame variables follow `scrub_content`.
    try:
        sentry_sdk.init(
            dsn=dsn,
            environment=environment,
            release=release or f"lockgate@{__version__}",
            max_request_body_size="never" if scrub_content else "medium",
            include_local_variables=not scrub_content,
            event_scrubber=EventScrubber(
                denylist=[*DEFAULT_DENYLIST, *sorted(SENSITIVE_KEYS)], recursive=True
            ),
            before_send=guarded(before_send),
            before_breadcrumb=guarded(before_send),
            traces_sample_rate=None,  # traces go to OpenTelemetry
        )
    except Exception as exc:
        log.error("sentry_init_failed", error=repr(exc))
        return False
    log.info("sentry_on", environment=environment, scrub_content=scrub_content)
    _on = True
    return True


def report_exception(exc: BaseException) -> None:
    """Send `exc` to Sentry if it is on; a no-op otherwise, and never raises."""
    if not _on:
        return
    try:
        import sentry_sdk

        sentry_sdk.capture_exception(exc)
    except Exception as error:
        log.error("sentry_capture_failed", error=repr(error))
