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
