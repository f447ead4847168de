"""The layout at phone, tablet and desktop widths (issue 15 item 16): no page scrolls
sideways, the header stays one short bar (or the sidebar), nothing overlaps the nav, and
the phone menu opens, closes and leads to every page by keyboard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core.extensions import db
from webapp.models import User
from webapp.services.demo.workspace import fill_demo_workspace

WIDTHS = (375, 768, 1280)
SHOTS = {
    "/": "dashboard",
    "/leads": "leads",
    "/marketing/campaigns": "campaigns",
    "/reports": "reports",
}


@pytest.fixture
def demo(alice: User) -> User:
    """Alice's workspace as `autopilot demo` fills it: campaigns, 60 days, reports."""
    fill_demo_workspace(db.session, alice.memberships[0].org, datetime.now(UTC))
    db.session.commit()
    return alice


def nav_paths(page: Page) -> list[str]:
    """Every page the main navigation links to (hidden or not)."""
    return page.eval_on_selector_all(
        "nav[aria-label=Main] a", "links => links.map(a => a.getAttribute('href'))"
    )


def layout_problems(page: Page, width: int) -> list[str]:
    """What is wrong with the layout of the page shown, at this width."""
    found = page.evaluate(
        """() => {
          const side = document.querySelector('.sidebar').getBoundingClientRect();
          const main = document.querySelector('main').getBoundingClientRect();
          return {scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
                  side: {left: side.left, right: side.right, top: side.top,
                         bottom: side.bottom, height: side.height},
                  main: {left: main.left, top: main.top}};
        }"""
    )
    problems = []
    if found["scroll"] > found["inner"]:
        problems.append(f"page scrolls sideways: {found['scroll']} > {found['inner']}")
    side, main = found["side"], found["main"]
    if width >= 1024:  # a sidebar left of the page
        if main["left"] < side["right"]:
            problems.append(f"main ({main['left']}) overlaps the sidebar ({side['right']})")
    else:  # a top bar above the page, one line high while the menu is closed
        if side["height"] > 72:
            problems.append(f"header is {side['height']} px high")
        if main["top"] < side["bottom"]:
            problems.append(f"main ({main['top']}) overlaps the header ({side['bottom']})")
    return problems


def test_no_page_scrolls_sideways_or_hides_under_the_nav(live_server: str, page: Page, demo):
    sign_in(page, live_server, demo)
    paths = nav_paths(page)
    assert len(paths) >= 10
    release_db()
    problems = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            page.goto(live_server + path)
            found = layout_problems(page, width)
            if path in SHOTS:
                shot(page, f"layout-{SHOTS[path]}-{width}")
            if found:
                problems[f"{path} @ {width}"] = found
    assert problems == {}


def test_every_nav_link_shows_at_desktop_width_with_the_current_page_marked(
    live_server: str, page: Page, demo
):
    sign_in(page, live_server, demo)
    nav = page.get_by_role("navigation", name="Main")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for label in ("Dashboard", "Leads", "Campaigns", "Reports", "Health", "Settings"):
        expect(nav.get_by_role("link", name=label)).to_be_in_viewport()
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    # Items are grouped under labels that name their list.
    expect(nav.get_by_role("list", name="Contacts").get_by_role("link")).to_have_count(2)
    expect(nav.get_by_role("list", name="Insights")).to_contain_text("Reports")
    nav.get_by_role("link", name="Reports").click()
    expect(nav.get_by_role("link", name="Reports")).to_have_attribute("aria-current", "page")
    shot(page, "layout-reports-1280")


@pytest.mark.parametrize("width", [375, 768])
def test_the_phone_menu_opens_by_keyboard_and_closes_with_escape(
    live_server: str, page: Page, demo, width: int
):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, demo)
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Leads")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    shot(page, f"layout-menu-{width}")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav).to_be_hidden()

    menu.click()
    nav.get_by_role("link", name="Leads").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/leads**")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="Leads")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_wide_table_scrolls_in_its_own_box(live_server: str, page: Page, demo):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, demo)
    page.goto(f"{live_server}/leads")
    boxes = page.locator("main .table-scroll")
    assert boxes.count() >= 1
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main .table-scroll')]
            .filter(b => b.scrollWidth > b.clientWidth)
            .map(b => b.getAttribute('tabindex'))"""
    )
    assert wide and all(t == "0" for t in wide)  # scrollable, and reachable by keyboard
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("width", [375, 1280])
def test_the_dashboard_charts_render(live_server: str, page: Page, demo, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, demo)
    for canvas in ("#chart-leads-revenue", "#chart-spend"):
        expect(page.locator(canvas)).to_be_visible()
    drawn = page.wait_for_function(
        """() => ['chart-leads-revenue', 'chart-spend'].map(id => {
             const chart = window.Chart && Chart.getChart(document.getElementById(id));
             return chart ? chart.data.datasets.length : 0; })
           .every(n => n > 0) && document.getElementById('chart-spend').width > 0"""
    )
    assert drawn
    series = page.evaluate(
        """() => Chart.getChart(document.getElementById('chart-leads-revenue'))
                  .data.datasets.map(d => d.label)"""
    )
    assert series == ["Leads", "Revenue"]
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    shot(page, f"dashboard-charts-{width}")
