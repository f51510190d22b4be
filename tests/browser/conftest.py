"""Headless Chromium (Debian's package, driven by Playwright) against a live server on loopback.

The server is the real app on a migrated, seeded SQLite file. Every request the page makes to
anywhere but the live server is blocked and recorded, so a test fails if a page reaches for
the internet (a CDN font, a script).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from core.db import db
from tests.conftest import make_app, unavailable, upgrade

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def buffered(wsgi_app):
    """Read each response fully and close it before sending: when Chromium cancels a request
    mid-file, werkzeug's dev server would otherwise leave the static file open until GC, and the
    ResourceWarning would surface in whatever test runs then."""

    def app(environ, start_response):
        result = wsgi_app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return app


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app the live server runs (tests may also work on its database directly)."""
    from core.storage import LocalFolderStore
    from core.time import utcnow
    from marketplace.seed.market import seed_market
    from marketplace.seed.services import seed_demo
    from marketplace.seed.tenders import seed_tenders

    folder = tmp_path_factory.mktemp("live")
    app = make_app(
        f"sqlite:///{folder / 'live.sqlite3'}", folder, EVIDENCE_DIR=str(folder / "evidence")
    )
    upgrade(app)
    with app.app_context():
        seed_demo()
        seed_market(LocalFolderStore(folder / "evidence"), now=utcnow(), lots_per_stream=(1, 2))
        seed_tenders(now=utcnow())
        db.session.commit()
        db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, buffered(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A browser page that blocks and records every request off the live server."""

    def __init__(self, browser: object, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.page.route("**/*", self._guard)

    def _guard(self, route: object) -> None:
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def goto(self, path: str) -> object:
        return self.page.goto(self.base + path)

    def login(self, username: str, password: str) -> None:
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[Page]:
    wrapper = Page(browser, live_server)
    yield wrapper
    wrapper.context.close()
    assert not wrapper.outside, f"page reached outside the server: {wrapper.outside}"
