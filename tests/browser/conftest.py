"""Browser fixtures: a real app on a real database on a free port, driven by Debian's Chromium.

Playwright (the PyPI package) drives ``/usr/bin/chromium`` through ``executable_path``; it cannot
download its own browsers here, and needs none. Without a Chromium every browser test is skipped
with the reason. Each test gets its own database (``database_url``), its own server (uvicorn in a
thread, serving ``create_app`` exactly as production does) and a fresh browser context that
refuses every request to another origin and records CSP violations and page errors, so a test
fails when a page reaches outside or breaks its own policy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest
import uvicorn

from portal.app import create_app
from portal.settings import Settings
from tests.conftest import REPO_ROOT

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO_ROOT / "tests" / ".artifacts"
AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE_WIDTH_PX = 375


def chromium_path() -> str | None:
    given = os.environ.get("PORTAL_TEST_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    return next((p for p in CHROMIUM_CANDIDATES if Path(p).is_file()), None) or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Not per session: while Playwright's sync API is open it keeps an
    event loop running in this thread, which would break ``asyncio.run`` in the other tests that an
    xdist worker runs between browser tests."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found at /usr/bin/chromium (apt-get install -y chromium; .ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class LiveServer:
    url: str
    settings: Settings
    database_url: str


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def in_thread(function, *args, **kwargs):
    """Run ``function`` in a fresh thread: Playwright's sync API keeps an event loop running in this
    one, so helpers that call ``asyncio.run`` (the demo policy, the staff helpers) run beside it."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def publish_demo_policy(database_url: str, data_dir: Path, public_url: str, settings: Settings) -> None:
    """The demo policy, its audit events chained under the live app's own key (as the demo's are)."""
    from portal.demo.demo_policy import publish_demo_policy as publish
    from portal.domain.audit import key_for

    in_thread(publish, database_url, data_dir, public_url=public_url, now=dt.datetime.now(dt.UTC),
              audit_key=key_for(settings))


@pytest.fixture
def server_settings() -> dict:
    """Overrides a test applies to the live server's settings (set it in the test module)."""
    return {}


@pytest.fixture
def live_server(settings: Settings, server_settings: dict, tmp_path: Path) -> Iterator[LiveServer]:
    """``create_app`` under uvicorn on 127.0.0.1:<free port>, with the demo policy published."""
    sock = _free_socket()
    try:
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        live_settings = msgspec.structs.replace(settings, public_url=base, **server_settings)
        assert live_settings.database_url is not None
        publish_demo_policy(live_settings.database_url, tmp_path, base, live_settings)
        config = uvicorn.Config(create_app(live_settings), log_level="warning", access_log=False, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        try:
            yield LiveServer(base, live_settings, live_settings.database_url)
        finally:
            server.should_exit = True
            thread.join(10)
    finally:
        sock.close()


@dataclass
class PageWatch:
    """What a page did that a test must not allow: requests to other origins, CSP violations, errors."""

    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.foreign_requests == [], f"requests to another origin: {self.foreign_requests}"
        assert self.failed_assets == [], f"assets that failed to load: {self.failed_assets}"
        assert self.page_errors == [], f"uncaught errors: {self.page_errors}"
        assert self.console_errors == [], f"console errors (CSP violations among them): {self.console_errors}"


def open_context(browser, live_server: LiveServer, *, width: int = 1024, height: int = 800,
                 java_script_enabled: bool = True):
    """A fresh context whose every page aborts foreign requests and records errors in ``context.watch``."""
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=java_script_enabled,
                                  accept_downloads=True)
    watch = PageWatch()

    def route(route) -> None:
        if route.request.url.startswith(live_server.url + "/") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.foreign_requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)

    def on_console(msg) -> None:
        # A page answered 4xx on purpose (a form with errors) logs "Failed to load resource"; assets that
        # fail are caught by on_response instead, so every other console error is a real one.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            watch.console_errors.append(msg.text)

    def on_response(response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            watch.failed_assets.append(f"{response.status} {response.url}")

    def on_page(page) -> None:
        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))

    context.on("page", on_page)
    context.watch = watch
    return context


@pytest.fixture
def context(browser, live_server: LiveServer):
    ctx = open_context(browser, live_server)
    yield ctx
    ctx.close()
    ctx.watch.assert_clean()


@pytest.fixture
def page(context):
    return context.new_page()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under the gitignored ``tests/.artifacts/`` (evidence, not a golden file)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_axe_source: str | None = None


def axe_violations(page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run the vendored axe-core (evaluated through the DevTools protocol, so the page's CSP still holds
    for its own code) and return violations of the given impacts, each with its failing targets."""
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_PATH.read_text(encoding="utf-8")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source)
    results = page.evaluate("async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [node["target"] for node in v["nodes"]]} for v in results if v["impact"] in impacts]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


_FOCUSABLE = ("a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), textarea, select, "
              "[tabindex]:not([tabindex='-1'])")


def unreachable_by_tab(page, limit: int = 100) -> list[str]:
    """The visible controls that pressing Tab from the top of the page never reaches (a radio group is
    one stop: arrow keys move inside it). Empty when the page works with the keyboard alone."""
    page.evaluate(f"""() => {{
        let n = 0;
        for (const e of document.querySelectorAll("{_FOCUSABLE}")) {{
            if (e.offsetParent === null || e.closest('[hidden]')) continue;
            e.dataset.tabStop = e.type === 'radio' ? 'radio:' + e.name : String(n++);
        }}
        const start = document.createElement('span'); start.id = '__tab_start'; start.tabIndex = 0;
        document.body.prepend(start); start.focus();
    }}""")
    reached: set[str] = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate("document.activeElement.id === '__tab_start' ? '' : "
                             "(document.activeElement.dataset.tabStop || null)")
        if stop == "":
            break
        if stop is not None:
            reached.add(stop)
    return page.evaluate("""(reached) => { document.getElementById('__tab_start').remove();
        return Array.from(document.querySelectorAll('[data-tab-stop]'))
            .filter(e => !reached.includes(e.dataset.tabStop)).map(e => e.outerHTML.slice(0, 120)); }""",
                         sorted(reached))


def check_page(page, name: str, *, width: int | None = None) -> None:
    """What every page must pass: fits the viewport, every control reachable by Tab, no serious or
    critical axe-core violation; and a screenshot for the record."""
    page.wait_for_load_state("load")  # the page's own scripts (which may move the focus) have run
    viewport = width or page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport, f"{name} scrolls sideways"
    assert unreachable_by_tab(page) == [], f"{name}: controls Tab does not reach"
    assert_accessible(page)
    screenshot(page, name)
