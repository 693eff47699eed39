"""Browser fixtures: a real jingwang server on 127.0.0.1 over its own demo database, and Debian's Chromium.

The browser tests get a dedicated database that commits normally (the upload test writes to it), served by a
threaded werkzeug server in a background thread; the root conftest's per-test transactions are not shared with it.
A failed test keeps a screenshot under ``tests/webmap/artifacts/``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Route, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from waitress.server import create_server

from api import create_app
from api.auth.passwords import generate_password
from api.auth.users import add_user, new_token
from api.cluster import Cluster
from tests.conftest import _drop_database, _new_database
from webmap.assets import missing_vendor_files

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def web_engine(cluster: Cluster) -> Iterator[Engine]:
    """A database of its own with the demo city, committed (the browser tests may write to it)."""
    from api.services.demo import load_demo

    name, engine = _new_database(cluster, "web")
    with Session(engine) as session:
        load_demo(session, log=lambda _line: None)
    yield engine
    _drop_database(cluster, name, engine)


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    token: str


_ACCOUNTS: dict[str, Account] = {}


def browser_account(engine: Engine) -> Account:
    """The admin the browser tests act as, committed in ``engine``'s database (made once per database)."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _ACCOUNTS:
        password = generate_password()
        with Session(engine) as session:
            add_user(session, "browser-admin", "admin", password=password)
            _ACCOUNTS[key] = Account("browser-admin", password, new_token(session, "browser-admin"))
    return _ACCOUNTS[key]


def _with_token(app: Flask, token: str) -> None:
    """Requests that bring no credentials of their own (a bare browser context, a test client) act as ``token``'s
    user; a request with a sign-in cookie or its own Authorization header is left as it is."""
    inner = app.wsgi_app

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if "HTTP_AUTHORIZATION" not in environ and "session=" not in environ.get("HTTP_COOKIE", ""):
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return inner(environ, start_response)

    app.wsgi_app = wsgi  # type: ignore[method-assign]


def make_live_app(engine: Engine, *, sign_in: bool = True, **config: object) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": engine.url.render_as_string(hide_password=False), **config})
    app.extensions["jingwang"] = {"engine": engine}
    if sign_in:
        _with_token(app, browser_account(engine).token)
    return app


class LiveServer:
    """``app`` served by waitress (as ``jingwang serve`` does) on a free port of 127.0.0.1 until :meth:`stop`.

    Not werkzeug's development server: when a browser drops a connection while a static file is being sent, that
    server may leave the file open (a ResourceWarning, an error here); waitress always closes the response."""

    def __init__(self, app: Flask) -> None:
        self.server = create_server(app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.task_dispatcher.shutdown()
        for channel in list(self.server._map.values()):  # the browser's keep-alive connections, then the listener
            if channel is not self.server:
                channel.close()
        self.server.close()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(web_engine: Engine) -> Iterator[LiveServer]:
    missing = missing_vendor_files()
    assert not missing, f"vendor files missing: {missing}; run .venv/bin/python scripts/fetch_assets.py"
    server = LiveServer(make_live_app(web_engine))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Watch:
    """What a page did wrong: failed requests, requests to other hosts, console errors and page errors."""

    host: str
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.foreign, f"requests to other hosts: {self.foreign}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.bad_status, f"error responses: {self.bad_status}"
        assert not self.errors, f"console or page errors: {self.errors}"


def watch_page(page: Page, host: str, expected_status: tuple[int, ...] = ()) -> Watch:
    """Record trouble on ``page``; every request to another host is refused before it leaves."""
    watch = Watch(host)

    def route(r: Route) -> None:
        if urlsplit(r.request.url).netloc != host and not r.request.url.startswith("data:"):
            watch.foreign.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    def on_failed(request: Request) -> None:
        watch.failed.append(f"{request.method} {request.url}: {request.failure}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.errors.append(message.text)

    def on_response(response: object) -> None:
        status = response.status  # type: ignore[attr-defined]
        if status >= 400 and status not in expected_status:
            watch.bad_status.append(f"{status} {response.url}")  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.on("requestfailed", on_failed)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on("response", on_response)
    return watch


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def sign_in_state(browser: Browser, server: LiveServer, account: Account) -> Any:
    """Cookies of a browser signed in through the form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=name]", account.name)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="session")
def signed_in(browser: Browser, live_server: LiveServer, web_engine: Engine) -> Any:
    return sign_in_state(browser, live_server, browser_account(web_engine))


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, signed_in: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    # Signed in with the cookie, as people are: the pages' changes then go through the CSRF check.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", storage_state=signed_in)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.watch = watch_page(page, urlsplit(live_server.url).netloc)  # type: ignore[attr-defined]
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
