"""Marketing campaigns in the browser: from the Campaigns menu, create a campaign (a field
error first), see its prediction, then move it through its statuses with the buttons —
the archive asks first, and saying no keeps it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from webapp.models import Organization, User

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _shots(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} overflows a phone: {width}px wide"
    page.set_viewport_size(DESKTOP)


def _press(page: Page, label: str, status: str) -> None:
    page.locator("#status-actions").get_by_role("button", name=label, exact=True).click()
    expect(page.locator("#campaign-status")).to_have_text(status)


def test_it_creates_a_campaign_and_moves_it_through_its_statuses(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    sign_in(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    page.wait_for_url(f"{live_server}/marketing/campaigns")
    expect(page.get_by_role("heading", name="No campaigns yet")).to_be_visible()
    _shots(page, "marketing-empty")

    page.get_by_role("button", name="Create your first campaign").click()
    page.get_by_role("button", name="Create campaign").click()
    expect(page.locator("#name-error")).to_have_text("Give the campaign a name.")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")

    starts = (datetime.now(UTC) + timedelta(days=7)).date()
    page.get_by_label("Name", exact=True).fill("Saturday workshop")
    page.get_by_label("Type").select_option(label="Lead generation")
    page.get_by_label("Objective, in your words").fill("Fill the 20 places of our cake class")
    page.get_by_label("Starts on").fill(starts.isoformat())
    page.get_by_label("Budget for the whole campaign ($)").fill("600")
    page.get_by_label("Meta ads").check()
    page.get_by_label("Email").check()
    _shots(page, "marketing-form")
    page.get_by_role("button", name="Create campaign").click()

    expect(page.get_by_role("heading", name="Saturday workshop")).to_be_visible()
    expect(page.locator("#campaign-status")).to_have_text("Draft")
    prediction = page.locator("#prediction")
    expect(prediction).to_contain_text("Rests on industry benchmarks")
    expect(prediction.locator("#prediction-meta_ads")).to_contain_text("Conversions")
    expect(prediction).to_contain_text("Email: not predicted from the budget")
    _shots(page, "marketing-draft")

    _press(page, "Schedule", "Scheduled")
    expect(page.locator(".mc-summary")).to_contain_text("Starts by itself on")
    _press(page, "Start now", "Active")
    _press(page, "Pause", "Paused")
    _press(page, "Resume", "Active")
    page.once("dialog", lambda dialog: dialog.accept())
    _press(page, "Complete", "Completed")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.dismiss())  # "no": it stays completed
    page.locator("#status-actions").get_by_role("button", name="Archive").click()
    expect(page.locator("#campaign-status")).to_have_text("Completed")
    page.once("dialog", lambda dialog: dialog.accept())
    _press(page, "Archive", "Archived")
    expect(page.locator("#status-actions button")).to_have_count(0)
    _shots(page, "marketing-archived")

    page.get_by_role("link", name="Campaigns").first.click()
    expect(page.locator("#campaigns-empty")).to_be_visible()  # archived ones are put away
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#campaign-list")).to_contain_text("Saturday workshop")
    _shots(page, "marketing-list")

    # The autopilot's budget lines are a tab of the same menu.
    page.get_by_role("navigation", name="Campaigns").get_by_role(
        "link", name="Paid media budgets"
    ).click()
    page.wait_for_url(f"{live_server}/campaigns")
    nav = page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns")
    expect(nav).to_have_attribute("aria-current", "page")
    _shots(page, "marketing-paid-media-tab")
