"""Your account: change the password; forgot it: ask for a link, use it from the outbox;
remove a teammate after the confirm step. Screenshots at desktop and phone width."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import release_db, shot, sign_in
from tests.conftest import PASSWORD
from webapp.core.extensions import db
from webapp.models import OutboxMessage, User

NEW = "rye and spelt 2027"
PHONE = {"width": 390, "height": 844}


def _both_widths(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def _reset_link(base: str) -> str:
    """The link in the reset email, which the server sends just after its response."""
    for _ in range(50):
        release_db()
        body = db.session.scalar(
            select(OutboxMessage.body_text).where(OutboxMessage.purpose == "password_reset")
        )
        if body:
            path = re.search(r"https?://[^/\s]+(/password/reset/\S+)", body).group(1)
            return base + path
        time.sleep(0.1)
    raise AssertionError("no reset email in the outbox")


def test_it_changes_the_password_with_errors_in_place(live_server: str, page: Page, alice: User):
    email = alice.email
    sign_in(page, live_server, alice)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Current password").fill("not it")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Repeat new password").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current-error")).to_have_text("That is not your current password.")
    expect(page.get_by_label("Current password")).to_have_attribute(
        "aria-describedby", "current-error"
    )
    _both_widths(page, "account-password-error")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Repeat new password").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".flashes")).to_contain_text("Password changed.")
    _both_widths(page, "account-password-changed")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, email, NEW)


def test_it_resets_a_forgotten_password_by_the_emailed_link(
    live_server: str, page: Page, alice: User
):
    email = alice.email
    release_db()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    _both_widths(page, "password-forgot")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#reset-sent")).to_contain_text(f"If an account uses {email}")
    _both_widths(page, "password-forgot-sent")

    link = _reset_link(live_server)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Repeat new password").fill("something else")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#confirm-error")).to_have_text("The passwords don't match.")
    _both_widths(page, "password-reset-error")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Repeat new password").fill(NEW)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator(".flashes")).to_contain_text("Sign in with the new one.")
    sign_in(page, live_server, email, NEW)

    page.goto(link)  # used once: no second time
    expect(page.locator("#reset-error")).to_contain_text("already used")
    _both_widths(page, "password-reset-used")


def test_an_owner_removes_a_teammate_after_confirming(
    live_server: str, page: Page, alice: User, bob: User
):
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings/team")
    _both_widths(page, "team-members")
    page.get_by_role("button", name="Remove Bob Staff").click()
    expect(page.get_by_role("heading", name="Remove Bob Staff?")).to_be_visible()
    _both_widths(page, "team-remove-confirm")
    page.get_by_role("button", name="Remove Bob Staff").click()
    expect(page.locator(".flashes")).to_contain_text("Bob Staff was removed")
    expect(page.locator("table")).not_to_contain_text("bob@example.com")


def test_an_invited_teammate_joins_without_naming_a_business(
    live_server: str, page: Page, alice: User, alice_org
) -> None:
    from sqlalchemy import select

    from tests.browser.conftest import release_db
    from webapp.core import clock
    from webapp.models import Membership
    from webapp.services.accounts.people import create_invite

    owner = db.session.scalars(select(Membership).where(Membership.user_id == alice.id)).one()
    _invite, token = create_invite(db.session, owner, "staff", "Erin", now=clock.now())
    db.session.commit()
    release_db()
    page.goto(f"{live_server}/invites/{token}")
    page.get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("heading", name="Join “Alice Bakes”")).to_be_visible()
    expect(page.get_by_label("Business name")).to_have_count(0)
    page.get_by_label("Your name").fill("Erin New")
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Password", exact=True).fill("long enough pw")
    page.get_by_label("Repeat password").fill("long enough pw")
    shot(page, "invite-signup")
    page.get_by_role("button", name="Create account and join").click()
    expect(page.get_by_text("You joined “Alice Bakes” as staff.")).to_be_visible()
