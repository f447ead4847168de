"""Assets in a browser: the empty state, a new X post written right after the request
(the progress polls, then the page shows three variations), the live limit counter as you
type (emoji weigh 2), choosing a variation, approving; a voice ad that plays, a banner and
an email sequence; the phone layout."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.assets.conftest import campaign, profile
from tests.browser.conftest import release_db, shot, sign_in
from webapp.core.extensions import db
from webapp.models import Organization, User


def both(page: Page, name: str) -> None:
    shot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width}px wide on a phone"
    page.set_viewport_size({"width": 1280, "height": 800})


def new_asset(page: Page, kind: str, option: str) -> None:
    page.goto(page.url.split("/assets")[0] + "/assets")
    page.locator("#new-asset").evaluate("d => { d.open = true; }")
    form = page.locator("#new-asset")
    form.locator("#type").select_option(label=kind)
    form.locator("#option").select_option(label=option)
    form.locator("#campaign_id").select_option(label="Christmas orders")
    page.get_by_role("button", name="Write it").click()
    expect(page.get_by_role("heading", name="Variations")).to_be_visible()


def test_assets_from_empty_list_to_approved_post(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    profile(
        alice_org,
        "We bake sourdough bread and celebration cakes in Leeds.",
        "families in Leeds",
        "Leeds",
    )
    campaign(alice_org)
    email = alice.email
    db.session.commit()
    release_db()
    sign_in(page, live_server, email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assets").click()
    expect(page.get_by_text("No assets yet")).to_be_visible()
    both(page, "assets-empty")

    new_asset(page, "Social post", "Social: X")
    expect(page.locator(".variation")).to_have_count(3)
    expect(page.locator("#post-text")).to_contain_text("Alice Bakes")
    counter = page.locator("#text-count")
    expect(counter).to_contain_text("/ 280 (as X counts)")
    page.get_by_label("Post").fill("🍞" * 141)
    expect(counter).to_have_text("282 / 280 (as X counts)")
    expect(counter).to_have_class("limit-counter over")
    page.get_by_label("Post").fill(
        "Fresh sourdough at Alice Bakes, Leeds 🍞 https://alice.example/christmas"
    )
    expect(counter).to_have_text("64 / 280 (as X counts)")
    page.locator(".variation").nth(1).get_by_role("button", name="Use this one").click()
    expect(page.locator(".variation").nth(1)).to_contain_text("in use")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#asset-status")).to_have_text("approved")
    both(page, "asset-social-x")

    new_asset(page, "Voice ad", "Video/voice: 15 seconds")
    duration = page.locator("audio").evaluate(
        "a => new Promise(r => a.readyState >= 1 ? r(a.duration) : a.addEventListener('loadedmetadata', () => r(a.duration)))"
    )
    assert 14 <= duration <= 16.5
    both(page, "asset-voice")

    new_asset(page, "Banner image", "Image: 1200×628 (link preview)")
    natural = page.locator("img.banner-preview").evaluate(
        "i => i.complete ? [i.naturalWidth, i.naturalHeight] : new Promise(r => i.onload = () => r([i.naturalWidth, i.naturalHeight]))"
    )
    assert natural == [1200, 628]
    both(page, "asset-banner")

    new_asset(page, "Email sequence", "Default for the type")
    expect(page.locator(".email-preview")).to_have_count(4)
    both(page, "asset-emails")

    new_asset(page, "Ad", "Ad: Google search")
    both(page, "asset-google-ad")

    page.goto(f"{live_server}/assets")
    expect(page.locator("#asset-list tbody tr")).to_have_count(5)
    both(page, "assets-list")
