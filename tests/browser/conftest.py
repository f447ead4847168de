"""Browser tests: the real app served over HTTP on 127.0.0.1, driven by Debian's Chromium.

Fixtures: `live_server` (the base URL), `browser` (one Chromium per session), `page` (a
fresh context per test). Helpers: `release_db()`, `sign_in(page, base, user)` and
`settled(page)`, `shot(page, name)`, which saves a full-page PNG to $SCREENSHOT_DIR when it is set.

The server thread and the test share the database through separate connections. On
SQLite every transaction is BEGIN IMMEDIATE, so the test must end its transaction
(`release_db()`) before the browser makes the server write, or the server waits on the
test's lock.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD
from webapp.core.extensions import db
from webapp.models import User

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# How long a step waits for the page (not a speed claim: CI's 2 cores also run the other
# database's suite, and a save that recomputes a segment can take seconds there).
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


# --- the server -------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """The suite's config with the wall clock: a browser waits on real time (polling, runs)."""
    return {**app_config, "CLOCK": None}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by werkzeug on a background thread; yields its base URL."""
    server = make_server(
        "127.0.0.1", _free_port(), app, threaded=True, request_handler=_OneRequestAConnection
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        join_request_threads()


class _OneRequestAConnection(WSGIRequestHandler):
    """HTTP/1.0: a request's thread ends with its work, not with the browser's keep-alive,
    so the teardown can wait for exactly the work still running."""

    protocol_version = "HTTP/1.0"


def join_request_threads(seconds: float = 30) -> None:
    """Wait for the server's request threads: work a request runs after its response
    (asset writing, jobs, a confirmation mail) has finished when this returns, so a test
    can look for its result, and none runs on into the next test's data."""
    deadline = time.monotonic() + seconds
    for worker in threading.enumerate():
        if "process_request_thread" in worker.name:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))


def release_db() -> None:
    """End the test's transaction so the server's connections can write (SQLite lock)."""
    db.session.commit()
    db.session.remove()


# --- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


# --- helpers ----------------------------------------------------------------------------


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as $SCREENSHOT_DIR/<name>.png; nothing when unset."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def overflow(page: Page) -> int:
    """How many pixels the page is wider than its viewport, once its layout has followed a
    resize: a page that fits may still read its old width for a moment after one (or after
    a full-page screenshot) on a loaded machine, so it gets up to 5 s to fit first."""
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    try:
        page.wait_for_function(fits, timeout=5000)
    except PlaywrightTimeout:
        pass  # it does not fit: the caller's assertion says by how much
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def settled(page: Page) -> None:
    """Wait until htmx has sent, swapped and settled: a person cannot type into content in
    the 20 ms htmx takes to settle it, and a test that does may lose what it typed. Also
    waits for the page's load: before it, htmx has not bound its triggers, and a change
    made then is never sent."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def sign_in(page: Page, base: str, user: User | str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the dashboard."""
    email = user if isinstance(user, str) else user.email
    release_db()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Everyone lands on the dashboard; support on every workspace's health.
    page.wait_for_url(lambda url: url in (f"{base}/", f"{base}/support/health"))
