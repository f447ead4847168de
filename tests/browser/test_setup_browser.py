"""The setup page: Re-run setup, the progress bar moving to 100 %, each step marked."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, shot, sign_in
from tests.fakes import smtp_server, twilio_server
from tests.fakes.smtp_server import SmtpSink, use_smtp
from tests.fakes.twilio_server import FakeTwilio
from webapp.models import User

fake_twilio = twilio_server.fake_twilio  # the fixture
smtp_sink = smtp_server.smtp_sink  # the fixture

RUN_TIMEOUT_MS = 30_000


def test_an_owner_re_runs_setup_and_watches_it_finish(
    app: Flask, live_server: str, page: Page, alice: User, fake_twilio: FakeTwilio
) -> None:
    app.config.update(
        TWILIO_ACCOUNT_SID=fake_twilio.account_sid,
        TWILIO_AUTH_TOKEN=fake_twilio.auth_token,
        TWILIO_FROM=None,
        TWILIO_API_BASE=fake_twilio.base_url,
        TWILIO_TIMEOUT_SECONDS=10,
        PUBLIC_URL=live_server,
    )
    for _ in range(12):  # each Twilio answer takes a moment, so the steps are seen moving
        fake_twilio.delay_next(0.7)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/setup")
    expect(page.get_by_role("heading", name="Setup has not run yet")).to_be_visible()
    shot(page, "setup-never-ran")

    release_db()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Run setup now").click()
    bar = page.get_by_role("progressbar", name="Setup progress")
    expect(bar).to_be_visible()

    seen: set[int] = set()
    for _ in range(RUN_TIMEOUT_MS // 250):
        value = int(bar.get_attribute("value") or 0) if bar.count() else 0
        seen.add(value)
        if value == 100:
            break
        if 0 < value < 100 and len(seen) == 2:
            shot(page, "setup-running")
        page.wait_for_timeout(250)
    # Email was skipped: finished, not "complete", and the page says what is left to do.
    expect(page.get_by_text("Setup finished: 6 of 7 steps done, 1 skipped")).to_be_visible()
    assert 100 in seen and any(0 < v < 100 for v in seen), seen
    expect(page.locator("#setup-counts")).to_have_text("6 done · 1 skipped · 0 failed")
    expect(page.locator("#setup-todo")).to_contain_text("Enter your mail server")
    steps = page.locator(".setup-steps li")
    expect(steps).to_have_count(7)
    for key in ("plan", "subaccount", "phone_number", "whatsapp", "defaults", "smoke_tests"):
        expect(page.locator(f'[data-step="{key}"]')).to_contain_text("✓ Done")
    email = page.locator('[data-step="email"]')
    expect(email).to_contain_text("Skipped")
    expect(email).to_contain_text(
        "emails go to the outbox until SMTP is set in Settings → Integrations"
    )
    expect(page.locator('[data-step="phone_number"]')).to_contain_text("Bought +1500555001")
    expect(page.get_by_role("button", name="Re-run setup")).to_be_visible()
    assert page.locator("#setup-progress[hx-trigger]").count() == 0  # polling stopped
    shot(page, "setup-complete")
    assert len(fake_twilio.posted("/IncomingPhoneNumbers.json")) == 1


def test_a_mail_server_that_fails_its_test_fails_the_email_step(
    app: Flask, live_server: str, page: Page, alice: User, smtp_sink: SmtpSink
) -> None:
    """No Twilio, a mail server that refuses connections: Email is failed (not done), and
    the page counts what was done, skipped and failed and says what is left to do."""
    use_smtp(app, smtp_sink)
    smtp_sink.refuse()
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/setup")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Run setup now").click()
    # A refused connection may clear by itself: the step is retried, and shown failed meanwhile.
    expect(page.locator("#setup-counts")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    email = page.locator('[data-step="email"]')
    expect(email).to_contain_text("✗ Failed")
    expect(email).not_to_contain_text("✓ Done")
    expect(page.locator("#setup-counts")).to_have_text(
        "1 done · 3 skipped · 1 failed · 2 not run yet"
    )
    # Retried by itself: nothing for the owner to do about Email yet.
    expect(page.locator("#setup-todo")).not_to_contain_text("Email:")
    expect(page.locator("#setup-todo")).to_contain_text("Connect a Twilio account")
    shot(page, "setup-email-failed")
