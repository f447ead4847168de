"""axe-core on every main page (issue 15 item 19): signed in as the owner of a workspace
filled as `autopilot demo` fills it, no page has a serious or critical violation, at
desktop width and with the phone menu open."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import release_db, sign_in
from webapp.core.extensions import db
from webapp.models import User
from webapp.services.demo.workspace import fill_demo_workspace

SEVERE = {"serious", "critical"}
MORE_PAGES = ("/account", "/leads/new", "/automation/new", "/autopilot/")
_AXE = Axe()


@pytest.fixture
def demo(alice: User) -> User:
    fill_demo_workspace(db.session, alice.memberships[0].org, datetime.now(UTC))
    db.session.commit()
    return alice


def severe_violations(page: Page) -> list[str]:
    violations = _AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"][0]) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in SEVERE
    ]


def _shape(path: str) -> str:
    """One page of each kind: /leads/12 and /leads/13 are both /leads/N."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def linked_pages(page: Page) -> list[str]:
    """The pages the main content links to on this site (no downloads, no sign-out)."""
    hrefs = page.eval_on_selector_all(
        "main a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in hrefs if not re.search(r"\.(csv|json|png)|export|/p/|/static/|#", h)]


def test_no_main_page_has_a_serious_accessibility_violation(live_server: str, page: Page, demo):
    sign_in(page, live_server, demo)
    paths = page.eval_on_selector_all(
        "nav[aria-label=Main] a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(paths) >= 10
    release_db()
    found, seen, queue = {}, set(), [*paths, *MORE_PAGES]
    while queue:
        path = queue.pop(0)
        response = page.goto(live_server + path)
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue  # a JSON probe such as /healthz, linked from Health
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        problems = severe_violations(page)
        if problems:
            found[path] = problems
        if path in paths:  # one level down: the detail and sub-pages each page links to
            queue += [
                p for p in linked_pages(page) if _shape(p) not in seen and not seen.add(_shape(p))
            ]
    assert found == {}, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in found.items())


def test_the_phone_menu_and_signed_out_pages_are_clean(live_server: str, page: Page, demo):
    email = demo.email
    release_db()
    for path in ("/login", "/signup", "/password/forgot"):
        page.goto(live_server + path)
        assert severe_violations(page) == [], path
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, email)
    page.get_by_role("button", name="Menu").click()
    assert severe_violations(page) == []
    # The check does see a serious problem (an unlabelled field) when there is one.
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any(v.startswith("label (critical)") for v in severe_violations(page))
