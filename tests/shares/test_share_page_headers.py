"""The public share page (the static /share/ page of the web UI) is never indexed and never
sends its URL on as a referrer; other pages keep the usual headers."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from lockgate.middleware import SecurityHeadersMiddleware
from lockgate.web_ui import ui_mount


def site(web: Path) -> FastAPI:
    (web / "index.html").write_text("<html>chat</html>")
    (web / "share").mkdir()
    (web / "share" / "index.html").write_text('<meta name="robots" content="noindex">')
    app = FastAPI()
    app.router.routes.append(ui_mount(web))
    app.add_middleware(SecurityHeadersMiddleware)
    return app


async def test_the_share_page_is_noindex_and_sends_no_referrer(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=site(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        page = await c.get("/share/")
        assert page.status_code == 200
        assert page.headers["x-robots-tag"] == "noindex, nofollow"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "content-security-policy" in page.headers


async def test_other_pages_keep_the_usual_headers(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=site(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        page = await c.get("/")
        assert "x-robots-tag" not in page.headers
        assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
