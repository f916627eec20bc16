"""Serving the built web UI (a static Next.js export) from the Python package.

The UI is built into ``src/lockgate/web/`` by ``make ui`` (never committed). Its build moves
every inline script Next.js emits into a file under ``/_next/static/inline/``, so the strict
``script-src 'self'`` policy holds without hashes or nonces, and stores a brotli (``.br``) and a
gzip (``.gz``) copy beside every compressible file (``frontend/scripts/compress.mjs``). API paths
never fall through to it: an unknown ``/api``, ``/v1``, ``/health`` or ``/metrics`` path stays a
JSON 404, and any other unknown path gets the UI's own not-found page.

Responses:

* the precompressed copy the client accepts (brotli first, then gzip; ``q=0`` honoured), with
  ``Content-Encoding`` and ``Vary: Accept-Encoding``: nothing is compressed per request;
* ``Cache-Control: public, max-age=31536000, immutable`` for ``/_next/static/`` (Next.js puts a
  content hash in every name there), ``no-cache`` for everything else (HTML, the favicon): the
  browser revalidates with the ETag and gets a 304 while the build is unchanged.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.routing import Match, Mount
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).parent / "web"
API_PREFIXES = ("/api/", "/v1/", "/health/", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # preference order
# Types the platform's table may lack (the PWA manifest; the service worker must be JavaScript).
MEDIA_TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript"}
PRIVATE_PAGES = ("share/",)
"""Pages that must never be indexed nor leak their URL as a referrer: the public share page
(its secret is in the fragment, which browsers never send; this is the second lock)."""
PRIVATE_HEADERS = {"x-robots-tag": "noindex, nofollow", "referrer-policy": "no-referrer"}


class UIMount(Mount):
    """Mounted at ``/`` but blind to API paths, so the router still answers them itself (a JSON
    404, or a 405 for a known path with the wrong method)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path.startswith(API_PREFIXES) or path in ("/api", "/v1"):
            return Match.NONE, {}
        return super().matches(scope)


def accepted_encodings(header: str | None) -> frozenset[str]:
    """The content codings an ``Accept-Encoding`` header allows (``q=0`` refuses; ``*`` stands
    for any coding not named). Malformed parts are ignored, never an error."""
    if not header:
        return frozenset()
    allowed: set[str] = set()
    refused: set[str] = set()
    wildcard = False
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding == "*":
            wildcard = quality > 0
        elif quality > 0:
            allowed.add(coding)
        else:
            refused.add(coding)
    if wildcard:
        allowed |= {name for name, _ in ENCODINGS if name not in refused}
    return frozenset(allowed)


class UIFiles(StaticFiles):
    """StaticFiles that serves the precompressed copies and states how long to cache."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True)
        # The build is immutable while served (build-ui.sh swaps the directory whole), so which
        # files have compressed copies is read once instead of stat-ing on every request.
        self._variants = _variants(directory)
        self._root = os.path.realpath(directory)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        path = os.fspath(full_path)
        relative = os.path.relpath(path, self._root).replace(os.sep, "/")
        served, encoding = path, None
        offered = self._variants.get(relative, ())
        if offered:
            accepted = accepted_encodings(request_headers.get("accept-encoding"))
            for name, suffix in ENCODINGS:
                if name in accepted and suffix in offered:
                    served, encoding = path + suffix, name
                    break
        response = FileResponse(
            served,
            status_code=status_code,
            # The copy's own size and time: its ETag differs from the original's.
            stat_result=os.stat(served) if encoding else stat_result,
            filename=None,
            media_type=self._media_type(path),
        )
        response.headers["cache-control"] = (
            IMMUTABLE if relative.startswith("_next/static/") else REVALIDATE
        )
        if offered:
            response.headers["vary"] = "Accept-Encoding"
        if relative.startswith(PRIVATE_PAGES):
            response.headers.update(PRIVATE_HEADERS)
        if encoding:
            response.headers["content-encoding"] = encoding
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response

    @staticmethod
    def _media_type(path: str) -> str:
        known = MEDIA_TYPES.get(os.path.splitext(path)[1].lower())
        if known:
            return known
        guessed, _ = mimetypes.guess_type(path)
        return guessed or "application/octet-stream"


def _variants(directory: Path) -> dict[str, tuple[str, ...]]:
    """Relative path → the compressed suffixes present beside it."""
    found: dict[str, list[str]] = {}
    if not directory.is_dir():
        return {}
    for file in _walk(directory):
        for _, suffix in ENCODINGS:
            if file.name.endswith(suffix):
                original = file.with_name(file.name[: -len(suffix)])
                if original.is_file():
                    key = original.relative_to(directory).as_posix()
                    found.setdefault(key, []).append(suffix)
    return {key: tuple(value) for key, value in found.items()}


def _walk(directory: Path) -> Iterable[Path]:
    return (path for path in directory.rglob("*") if path.is_file())


def ui_mount(directory: Path = WEB_DIR) -> UIMount:
    return UIMount("/", app=UIFiles(directory), name="ui")


def ui_available(directory: Path = WEB_DIR) -> bool:
    return (directory / "index.html").is_file()
