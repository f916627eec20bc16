"""Serving the built web UI (a static Next.js export) from the Python package.

The UI is built into ``src/lockgate/web/`` by ``make ui`` (never committed). Its build moves
every inline script Next.js emits into a file under ``/_next/static/inline/``, so the strict
``script-src 'self'`` policy holds without hashes or nonces. API paths never
fall through to it: an unknown ``/api``, ``/v1``, ``/health`` or ``/metrics`` path stays a JSON
404, and any other unknown path gets the UI's own not-found page.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).parent / "web"
API_PREFIXES = ("/api/", "/v1/", "/health/", "/metrics")


class UIMount(Mount):
    """Mounted at ``/`` but blind to API paths, so the router still answers them itself (a JSON
    404, or a 405 for a known path with the wrong method)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path.startswith(API_PREFIXES) or path in ("/api", "/v1"):
            return Match.NONE, {}
        return super().matches(scope)


def ui_mount(directory: Path = WEB_DIR) -> UIMount:
    return UIMount("/", app=StaticFiles(directory=directory, html=True), name="ui")


def ui_available(directory: Path = WEB_DIR) -> bool:
    return (directory / "index.html").is_file()
