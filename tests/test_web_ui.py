"""The built UI is served for everything the API does not answer, never instead of the API."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from lockgate.error_handlers import install_error_handlers
from lockgate.web_ui import ui_available, ui_mount


def ui_app(web: Path) -> FastAPI:
    (web / "index.html").write_text("<html>chat</html>")
    (web / "404.html").write_text("<html>not found page</html>")
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.router.routes.append(ui_mount(web))
    return app


async def test_ui_pages_and_not_found_page(tmp_path: Path) -> None:
    assert ui_available(tmp_path) is False
    app = ui_app(tmp_path)
    assert ui_available(tmp_path) is True
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/")).text == "<html>chat</html>"
        missing = await c.get("/no/such/page")
        assert missing.status_code == 404
        assert "not found page" in missing.text
        assert (await c.get("/api/v1/ping")).json() == {"pong": "yes"}
        assert (await c.put("/api/v1/ping")).status_code == 405


async def test_unknown_api_paths_stay_json_404s(tmp_path: Path) -> None:
    app = ui_app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for path in ("/api/v1/nope", "/v1/nope", "/health/nope", "/api"):
            response = await c.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/json", path
            assert (
                response.json()["error"]["code"] in ("not_found", None)
                or "error" in response.json()
            )


def precompressed_site(web: Path) -> bytes:
    """A build with a hashed script and its brotli and gzip copies, as compress.mjs writes."""
    import gzip

    import brotli

    static = web / "_next" / "static" / "chunks"
    static.mkdir(parents=True)
    script = b"console.log('lockgate');\n" * 200
    (static / "app-3f2a.js").write_bytes(script)
    (static / "app-3f2a.js.br").write_bytes(brotli.compress(script))
    (static / "app-3f2a.js.gz").write_bytes(gzip.compress(script))
    (static / "plain-9c1d.css").write_bytes(b"body{}")  # small: no copies
    return script


async def test_the_precompressed_copy_the_client_accepts_is_served(tmp_path: Path) -> None:
    import brotli

    script = precompressed_site(tmp_path)
    app = ui_app(tmp_path)
    path = "/_next/static/chunks/app-3f2a.js"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        cases = {
            "br, gzip": "br",
            "gzip, deflate, br;q=0": "gzip",
            "gzip;q=0.5, br;q=0.1": "br",
            "*": "br",
            "*, br;q=0": "gzip",
            "identity": None,
            "": None,
            "gzip;q=0, br;q=0": None,
            "br;q=nonsense, gzip": "gzip",
        }
        for accept, expected in cases.items():
            response = await c.get(path, headers={"accept-encoding": accept})
            assert response.status_code == 200, accept
            assert response.headers.get("content-encoding") == expected, accept
            assert response.headers["vary"] == "Accept-Encoding"
            assert response.headers["content-type"].startswith("text/javascript"), accept
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            raw = await response.aread()  # httpx decodes gzip; brotli too when installed
            if expected == "br" and raw != script:
                raw = brotli.decompress(raw)
            assert raw == script, accept


async def test_etags_differ_per_encoding_and_revalidate(tmp_path: Path) -> None:
    precompressed_site(tmp_path)
    app = ui_app(tmp_path)
    path = "/_next/static/chunks/app-3f2a.js"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        br = await c.get(path, headers={"accept-encoding": "br"})
        identity = await c.get(path, headers={"accept-encoding": "identity"})
        assert br.headers["etag"] != identity.headers["etag"]
        again = await c.get(
            path, headers={"accept-encoding": "br", "if-none-match": br.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.headers["vary"] == "Accept-Encoding"
        assert again.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_html_revalidates_and_small_files_are_sent_as_they_are(tmp_path: Path) -> None:
    precompressed_site(tmp_path)
    app = ui_app(tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        page = await c.get("/", headers={"accept-encoding": "br, gzip"})
        assert page.headers["cache-control"] == "no-cache"
        assert "content-encoding" not in page.headers
        css = await c.get("/_next/static/chunks/plain-9c1d.css", headers={"accept-encoding": "br"})
        assert css.text == "body{}"
        assert "content-encoding" not in css.headers
        assert "vary" not in css.headers


async def test_the_pwa_manifest_and_service_worker_have_their_types(tmp_path: Path) -> None:
    app = ui_app(tmp_path)
    (tmp_path / "manifest.webmanifest").write_text('{"name": "Lockgate"}')
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        manifest = await c.get("/manifest.webmanifest")
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        worker = await c.get("/sw.js")
        assert worker.headers["content-type"].startswith("text/javascript")
        # The worker revalidates, so a new build's worker is picked up at once.
        assert worker.headers["cache-control"] == "no-cache"
