"""The WhatsApp coach in a browser: the owner sets it up and turns it on, runs the coach
job from the Scheduler page, and reads the message in the conversation."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import update

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import Lead, Organization, User
from webapp.services.leads.capture import capture_lead

RUN_TIMEOUT_MS = 15_000


def midday_zone() -> str:
    """A zone where it is about noon now (a fixed offset, Etc/GMT-N is UTC+N): the coach's
    texts keep the contact's quiet hours (21:00–08:00), and this test runs at any hour."""
    offset = 12 - system_now().hour
    offset = offset + 24 if offset < -12 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def test_the_owner_turns_the_coach_on_and_reads_the_first_message(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    email = alice.email
    capture_lead(
        db.session,
        alice_org.id,
        {"full_name": "Dana Diaz", "phone": "+14155552671", "whatsapp_consent": "yes"},
        source="manual",
        now=system_now(),
    )
    db.session.execute(
        update(Lead).where(Lead.org_id == alice_org.id).values(timezone=midday_zone())
    )
    release_db()
    sign_in(page, live_server, email)

    page.get_by_role("link", name="Coach").first.click()
    expect(page.get_by_role("heading", name="No conversations yet")).to_be_visible()
    shot(page, "coach-empty")
    page.get_by_role("link", name="Open the coach settings").click()

    page.get_by_label("Next step for the customer").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Say in a few words")).to_be_visible()  # 422 with the field's error
    page.get_by_label("Next step for the customer").fill("Book a first tasting visit")
    page.get_by_label("Coach on").check()
    page.get_by_label("From").fill("00:00")
    page.get_by_label("Until").fill("23:59")
    page.get_by_label("How often").select_option("daily")
    page.get_by_label("Auto-reply").check()
    shot(page, "coach-settings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Coach settings saved. The coach is on.")).to_be_visible()

    page.goto(f"{live_server}/scheduler")
    row = page.locator("#job-coach")
    expect(row).to_contain_text("WhatsApp coach")
    row.get_by_role("button", name="Run now").click()
    expect(page.locator("#job-coach .last-run .status")).to_have_text(
        "Succeeded", timeout=RUN_TIMEOUT_MS
    )

    page.goto(f"{live_server}/coach/")
    expect(page.get_by_text("Coach on")).to_be_visible()
    shot(page, "coach-conversations")
    page.get_by_role("link", name="Dana Diaz").click()
    bubble = page.locator(".bubble-out").first
    expect(bubble).to_contain_text("Hi Dana, it's Alice Bakes")
    expect(bubble).to_contain_text("written by the built-in writer")
    expect(page.locator("#coach-next")).to_contain_text("Follow-up due")
    shot(page, "coach-conversation")
