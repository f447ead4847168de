"""Sign up, set up the autopilot in four htmx steps (Back keeps what was typed), activate it,
and see it active on the dashboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import release_db, settled, shot

PASSWORD = "flour and butter 42"


def _posted(response: Response, path: str) -> bool:
    return response.request.method == "POST" and response.url.split("?")[0].endswith(path)


def _sign_up(page: Page, base: str) -> None:
    release_db()
    page.goto(f"{base}/signup")
    page.get_by_label("Your name").fill("Dana Baker")
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_label("Business name").fill("Dana's Bakery")
    page.get_by_label("Business time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/")


def test_it_sets_up_the_autopilot_from_sign_up_to_the_dashboard(
    live_server: str, page: Page
) -> None:
    base = live_server
    _sign_up(page, base)
    cta = page.locator("#autopilot-cta")
    expect(cta).to_contain_text("Set up your autopilot")
    expect(page.locator("#kpi-roi")).to_contain_text("no spend yet")
    shot(page, "dashboard-before-autopilot")
    cta.get_by_role("button", name="Set up your autopilot").click()  # a link styled as a button

    # Step 1: an empty description is refused in place, by htmx, without losing the page.
    page.wait_for_url(f"{base}/autopilot/setup/business")
    wizard = page.locator("#wizard")
    expect(wizard).to_contain_text("Step 1 of 4")
    with page.expect_response(lambda r: _posted(r, "/autopilot/setup/business")) as refused:
        page.get_by_role("button", name="Next").click()
    assert refused.value.status == 422
    expect(page.locator("#description-error")).to_contain_text("Describe your business")
    settled(page)
    page.get_by_label("What does your business do?").fill(
        "A family bakery in Leeds making sourdough and celebration cakes, with a small café."
    )
    shot(page, "wizard-1-business")
    page.get_by_role("button", name="Next").click()

    # Step 2: the audience (Enter in a field means Next, not Back).
    expect(wizard).to_contain_text("Step 2 of 4")
    page.wait_for_url(f"{base}/autopilot/setup/audience")  # htmx pushed the step's URL
    settled(page)
    page.get_by_label("Who are your customers?").fill("Busy families")
    page.get_by_label("Where are they?").fill("Leeds")
    page.get_by_label("People (B2C)").check()
    page.get_by_label("Their interests (optional)").fill("baking, local food")
    shot(page, "wizard-2-audience")
    page.get_by_label("Their interests (optional)").press("Enter")

    # Step 3: type, go Back, and find everything kept on the way there and back.
    expect(wizard).to_contain_text("Step 3 of 4")
    settled(page)
    page.get_by_label("Monthly marketing budget (USD)").fill("$1,500")
    page.get_by_label("More sales").check()
    page.get_by_label("Leads you want each month (optional)").fill("40")
    shot(page, "wizard-3-budget")
    page.get_by_role("button", name="Back").click()
    expect(wizard).to_contain_text("Step 2 of 4")
    settled(page)
    expect(page.get_by_label("Who are your customers?")).to_have_value("Busy families")
    expect(page.get_by_label("Where are they?")).to_have_value("Leeds")
    expect(page.get_by_label("People (B2C)")).to_be_checked()
    page.get_by_role("button", name="Next").click()
    expect(wizard).to_contain_text("Step 3 of 4")
    settled(page)
    expect(page.get_by_label("Monthly marketing budget (USD)")).to_have_value("$1,500")
    expect(page.get_by_label("More sales")).to_be_checked()
    expect(page.get_by_label("Leads you want each month (optional)")).to_have_value("40")
    page.get_by_role("button", name="Next").click()

    # Step 4: the built-in planner's strategy, editable; shares must add up to 100.
    expect(wizard).to_contain_text("Step 4 of 4")
    expect(wizard).to_contain_text("Written by the built-in planner")
    settled(page)
    shot(page, "wizard-4-strategy")
    first_share = wizard.locator("input[data-share]").first
    original = first_share.input_value()
    first_share.fill(str(int(original) + 5))
    expect(page.locator("#percent-total")).to_contain_text("105%")
    with page.expect_response(lambda r: _posted(r, "/autopilot/setup/review")) as refused:
        page.get_by_role("button", name="Activate autopilot").click()
    assert refused.value.status == 422
    expect(page.locator("#total-error")).to_contain_text("add up to 105%")
    settled(page)
    shot(page, "wizard-4-strategy-error")
    wizard.locator("input[data-share]").first.fill(original)
    page.get_by_label("Tone of voice").fill("Warm, cheerful and local")
    page.get_by_role("button", name="Activate autopilot").click()

    page.wait_for_url(f"{base}/autopilot/")
    expect(page.locator(".flash")).to_contain_text("Autopilot is on")
    expect(page.locator("#autopilot-status")).to_contain_text("Active")
    expect(page.locator("#plan")).to_contain_text("Warm, cheerful and local")
    expect(page.locator("#plan")).to_contain_text("$1,500.00 a month")
    shot(page, "autopilot-page")

    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url(f"{base}/")
    expect(page.locator("#autopilot-card")).to_contain_text("Active")
    expect(page.locator("#autopilot-cta")).to_have_count(0)
    expect(page.locator(".feed")).to_contain_text(
        re.compile(r"Autopilot is on: \$1,500\.00 a month")
    )
    shot(page, "dashboard-autopilot-active")
