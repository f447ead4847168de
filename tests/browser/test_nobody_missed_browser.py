"""Nobody missed (issue 15, items 8 and 9), in a real browser: a sequence activated after
contacts arrived offers them, with the count and a confirmation; a website enquiry with
an unreadable phone is kept, the visitor sees a friendly page in the business's look, and
the lead is in the inbox with a note of what was left out."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, shot, sign_in
from tests.conftest import START
from tests.messaging.test_automation_pages import WELCOME, add_contact, make_sequence
from webapp.core.extensions import db
from webapp.models import BrandProfile, Organization, User
from webapp.services.leads.forms import form_token


def _both_widths(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways at 390 px by {overflow}px"
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_activate_with_existing_contacts_shows_the_count_and_confirms(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    campaign = make_sequence(alice_org, steps=WELCOME)
    add_contact(alice_org, name="Ann Lee", email="ann@example.com")
    add_contact(alice_org, name="Phone Only", phone="+447911123404")
    campaign_id = campaign.id
    sign_in(page, live_server, alice)

    page.goto(f"{live_server}/automation/{campaign_id}/edit")
    expect(page.locator(".step-reach").first).to_have_text("reaches 1 contact")
    page.get_by_label("Also the 2 existing contacts who match").check()
    _both_widths(page, "sequence-activate-choice")
    page.get_by_role("button", name="Activate").click()

    expect(
        page.get_by_role("heading", name="Activate and enrol existing contacts?")
    ).to_be_visible()
    expect(page.locator("#activate-confirm")).to_contain_text("2 existing contacts")
    _both_widths(page, "sequence-activate-confirm")
    page.get_by_role("button", name="Activate and enrol 2 contacts").click()
    expect(page.get_by_text("2 existing contacts enrolled")).to_be_visible()
    shot(page, "sequence-activated-existing")


def test_a_bad_phone_keeps_the_enquiry_and_the_visitor_sees_a_friendly_page(
    live_server: str, browser: Browser, page: Page, alice: User, alice_org: Organization
) -> None:
    db.session.add(BrandProfile(org_id=alice_org.id, primary_color="#7c2d12",
                                phone="0113 496 0000", updated_at=START))  # fmt: skip
    db.session.commit()
    token = form_token("test-secret", alice_org.id)
    visitor = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    visitor.set_default_timeout(TIMEOUT_MS)
    tab = visitor.new_page()
    # The business's own website page with the form snippet, served as a data page.
    tab.set_content(
        f'<form method="post" action="{live_server}/f/{token}">'
        '<label>Name <input name="name"></label><label>Email <input name="email"></label>'
        '<label>Phone <input name="phone"></label><button>Send</button></form>'
    )
    tab.get_by_label("Name").fill("Ana Lima")
    tab.get_by_label("Email").fill("ana@limaltd.com")
    tab.get_by_label("Phone").fill("call me maybe 12")
    tab.get_by_role("button", name="Send").click()
    expect(tab.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(tab.locator("#not-kept")).to_contain_text("call me maybe 12")
    expect(tab.get_by_text("Alice Bakes")).to_be_visible()
    _both_widths(tab, "form-friendly-answer")
    visitor.close()

    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/leads")
    page.get_by_role("link", name="Ana Lima").click()
    expect(page.get_by_text("could not be read")).to_be_visible()
    shot(page, "form-lead-with-note")

    # The phone country is the workspace's setting, shown and editable.
    page.goto(f"{live_server}/settings")
    page.get_by_label("Country of phone numbers typed without a country code").select_option("GB")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Workspace settings saved.")).to_be_visible()
    expect(
        page.get_by_label("Country of phone numbers typed without a country code")
    ).to_have_value("GB")
    _both_widths(page, "settings-phone-country")


def test_a_loss_on_the_dashboard_is_marked_and_not_green(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    """Issue 15, item 2: an ROI under 1× reads as a loss (red), whatever its trend."""
    from datetime import UTC, datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from webapp.models import Campaign, CampaignMetric

    today = datetime.now(UTC).astimezone(ZoneInfo(alice_org.timezone)).date()
    email = Campaign(org_id=alice_org.id, name="Email", channel="email", created_at=START,
                     updated_at=START)  # fmt: skip
    db.session.add(email)
    db.session.flush()
    db.session.add(CampaignMetric(org_id=alice_org.id, campaign_id=email.id, day=today,
                                  spend=Decimal("100"), revenue=Decimal("98"),
                                  updated_at=START))  # fmt: skip
    db.session.commit()
    sign_in(page, live_server, alice)
    roi = page.locator("#kpi-roi")
    expect(roi).to_contain_text("0.98×")
    expect(roi).to_contain_text("a loss")
    colour = roi.locator(".kpi-value").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(155, 28, 28)", colour
    shot(page, "dashboard-roi-loss-1280")  # the 390 px layout is issue 15's item 16
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "dashboard-roi-loss-390")
