"""Ad platforms in the browser: Meta credentials on Settings → Integrations with Test
connection, the campaign page's panel before and after connecting, and linking a campaign
(the real SDK against the local Graph API server)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.ads.conftest import SECRET, TOKEN
from tests.browser.conftest import release_db, shot, sign_in
from tests.fakes.meta_graph import MetaGraph
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Campaign


@pytest.fixture
def graph():
    server = MetaGraph(token=TOKEN, app_secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config: dict, graph: MetaGraph) -> dict:
    return {**app_config, "META_GRAPH_URL": graph.url}


def _campaign(org) -> Campaign:
    now = clock.now()
    campaign = Campaign(
        org_id=org.id, name="Meta ads — Alice Bakes", channel="meta_ads", kind="auto",
        auto_managed=True, status="active", monthly_budget=Decimal("400.00"), settings={},
        created_at=now, updated_at=now,
    )  # fmt: skip
    db.session.add(campaign)
    db.session.commit()
    return campaign


def _both_widths(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 80) + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= 390, f"{name} overflows at 390 px ({width}): {wide}"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_connect_meta_and_link_a_campaign(page: Page, live_server: str, alice, alice_org, graph):
    campaign = _campaign(alice_org)
    graph.add_campaign("Winter sale — bakery", 1500)
    graph.add_campaign("Brand awareness", 800, status="PAUSED")
    cid = campaign.id
    sign_in(page, live_server, alice)

    page.goto(f"{live_server}/campaigns/{cid}")
    panel = page.locator("#ads-panel")
    expect(panel).to_contain_text("Not connected")
    expect(panel).to_contain_text("no more CSV uploads")
    _both_widths(page, "campaign-panel-not-connected")

    page.goto(f"{live_server}/settings/integrations")
    card = page.locator("#integration-meta_ads")
    card.get_by_label("App id").fill("1234567890123456")
    card.get_by_label("App secret").fill(SECRET)
    card.get_by_label("System-user access token").fill(TOKEN)
    card.get_by_label("Ad account id").fill("act_1234567890")
    card.get_by_role("button", name="Save Meta ads").click()
    expect(page.locator("#integration-meta_ads")).to_contain_text("Configured for this workspace")
    page.locator("#integration-meta_ads").get_by_role("button", name="Test connection").click()
    expect(page.locator("#integration-meta_ads")).to_contain_text("Connection works.")
    expect(page.locator("#integration-meta_ads")).to_contain_text("act_1234567890")
    page.locator("#integration-meta_ads").scroll_into_view_if_needed()
    _both_widths(page, "integrations-meta-connected")

    page.goto(f"{live_server}/campaigns/{cid}")
    expect(page.locator("#ads-panel")).to_contain_text("account is connected")
    page.get_by_role("button", name="Link to a Meta ads campaign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Link “Meta ads — Alice Bakes”")
    _both_widths(page, "ads-link-page")
    page.get_by_role("button", name="Link the chosen campaign").click()
    expect(page.get_by_role("alert").first).to_contain_text("Choose the campaign to link.")
    page.get_by_label("Winter sale — bakery").check()
    page.get_by_role("button", name="Link the chosen campaign").click()
    expect(page.locator("#ads-panel")).to_contain_text("Winter sale — bakery")
    expect(page.locator("#ads-panel")).to_contain_text("Linked")
    _both_widths(page, "campaign-panel-linked")
    release_db()
