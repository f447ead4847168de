"""Automation in the browser: build a three-step welcome sequence (email now, SMS after 2
days, WhatsApp after a week), activate it, add a contact in the lead inbox, press Process
Now, and find the email in the outbox and the job completed on the Automation tab."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from webapp.models import Organization, User

RUN_TIMEOUT_MS = 15_000


def _only_lead_id(org_id: int) -> int:
    from sqlalchemy import select

    from tests.browser.conftest import release_db
    from webapp.core.extensions import db
    from webapp.models import Lead

    lead_id = db.session.scalars(select(Lead.id).where(Lead.org_id == org_id)).one()
    release_db()
    return lead_id


def _add_step(
    page: Page, channel: str, body: str, wait: str, unit: str, subject: str | None = None
) -> None:
    page.get_by_role("button", name="+ Add a message").click()
    form = page.locator("#new-step form")
    expect(form).to_be_visible()
    form.get_by_label("Channel").select_option(channel)
    if subject is not None:
        form.get_by_label("Subject").fill(subject)
    form.get_by_label("Message", exact=True).fill(body)
    form.get_by_label("How many").fill(wait)
    form.get_by_label("Unit").select_option(unit)
    form.get_by_role("button", name="Save message").click()
    expect(page.locator("#sequence-steps .notice")).to_have_text("Message added.")


def test_it_builds_a_sequence_sends_it_and_shows_it_in_the_outbox(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    org_id = alice_org.id
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Automation").click()
    page.wait_for_url(f"{live_server}/automation")
    expect(page.get_by_role("heading", name="No sequences yet")).to_be_visible()
    shot(page, "automation-empty")

    # Name and schedule: every day, all day, so the test sends whatever the time.
    page.get_by_role("button", name="Create your first sequence").click()
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Create and add messages").click()
    expect(page.locator("#sequence-form")).to_contain_text("Give the sequence a name.")
    page.get_by_label("Name").fill("Welcome series")
    for day in ("Sat", "Sun"):
        page.get_by_label(day, exact=True).check()
    page.get_by_label("From").fill("00:00")
    page.get_by_label("Until").fill("23:59")
    page.get_by_role("button", name="Create and add messages").click()
    page.wait_for_url(f"{live_server}/automation/*/edit")
    builder = page.url
    expect(page.get_by_text("Sequence created. Now write its messages.")).to_be_visible()

    _add_step(
        page,
        "email",
        "Hi {{firstName|there}},\n\nThanks for joining us!",
        "0",
        "minutes",
        subject="Welcome to {{companyName}}, {{firstName|there}}!",
    )
    _add_step(
        page, "sms", "Hi {{firstName|there}}, 10% off your first order this week.", "2", "days"
    )
    _add_step(
        page, "whatsapp", "Hello again {{firstName|there}}! Anything we can help with?", "7", "days"
    )
    steps = page.locator("#sequence-steps li.step-card")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Right away, when the contact joins")
    expect(steps.nth(1)).to_contain_text("2 days after the previous message")
    expect(steps.nth(2)).to_contain_text("7 days after the previous message")
    shot(page, "automation-builder")

    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Activated.")).to_be_visible()

    # A new contact arrives through the lead inbox and joins the sequence by itself.
    page.goto(f"{live_server}/leads/new")
    page.get_by_label("Name").fill("Ann Lee")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_role("button", name="Add lead").click()
    expect(page.get_by_text("Lead added.")).to_be_visible()

    # Each step previews for a real contact, as they would receive it.
    page.goto(builder)
    page.locator("#sequence-steps li.step-card").nth(0).get_by_role(
        "button", name="Preview"
    ).click()
    preview = page.locator(".step-preview.open")
    expect(preview.locator(".mail-subject")).to_have_text("Welcome to Alice Bakes, Ann!")
    expect(preview.get_by_label("Contact to preview for")).to_have_value(str(_only_lead_id(org_id)))
    page.locator("#sequence-steps li.step-card").nth(1).get_by_role(
        "button", name="Preview"
    ).click()
    expect(page.locator("#sequence-steps li.step-card").nth(1)).to_contain_text(
        "has no mobile number, so this message cannot reach them"
    )
    shot(page, "automation-preview")

    page.goto(f"{live_server}/automation")
    expect(page.locator("table.sequences")).to_contain_text("Welcome series")
    shot(page, "automation-index")
    page.get_by_role("link", name="Welcome series").click()
    expect(page.locator("#automation-status")).to_contain_text("Pending")
    page.get_by_role("button", name="Process Now").click()
    expect(page.locator("#action-result")).to_contain_text("Sent 1.", timeout=RUN_TIMEOUT_MS)
    jobs = page.locator("#automation-jobs")
    expect(jobs).to_contain_text("Ann Lee")
    expect(jobs.locator(".status-job-completed")).to_have_count(1)
    expect(page.locator("#automation-status")).to_contain_text("100.0%")
    shot(page, "automation-tab")

    page.get_by_role("link", name="Outbox").first.click()
    page.wait_for_url(f"{live_server}/outbox")
    page.get_by_role("link", name="Welcome to Alice Bakes, Ann!").click()
    expect(page.get_by_role("heading", name="Email to ann@example.com")).to_be_visible()
    expect(page.locator(".mail-subject")).to_have_text("Welcome to Alice Bakes, Ann!")
    frame = page.frame_locator("iframe.mail-html")
    expect(frame.get_by_text("Thanks for joining us!")).to_be_visible()
    expect(page.locator(".mail-meta")).to_contain_text("List-Unsubscribe")
    shot(page, "automation-outbox-detail")

    # Finish: Ann has no phone, so her SMS and WhatsApp steps were skipped, never queued
    # (issue 15): nothing is left to send and the sequence completes at once.
    page.goto(f"{live_server}/automation")
    page.get_by_role("link", name="Welcome series").click()
    page.get_by_role("button", name="Finish").click()
    expect(page.locator(".flash")).to_contain_text("Completed: no message of it was left to send.")
    expect(page.get_by_role("button", name="Finish")).to_have_count(0)
    shot(page, "automation-finishing")


def test_a_double_click_on_create_makes_one_sequence(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    from sqlalchemy import func, select

    from tests.browser.conftest import release_db
    from webapp.core.extensions import db
    from webapp.models import Campaign

    org_id = alice_org.id
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/automation/new")
    page.get_by_label("Name").fill("Welcome series")
    page.get_by_role("button", name="Create and add messages").dblclick()
    page.wait_for_url(f"{live_server}/automation/*/edit")
    expect(page.get_by_text("Sequence created. Now write its messages.")).to_be_visible()
    release_db()
    count = select(func.count()).select_from(Campaign).where(Campaign.org_id == org_id)
    assert db.session.scalar(count) == 1
