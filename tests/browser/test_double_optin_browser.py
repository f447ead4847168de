"""Double opt-in in a real browser: a visitor sends a landing page's form, the confirmation
mail is in the outbox, the sequence holds its welcome mail with the reason, the visitor opens
the link and sees the confirmed page in the business's look, and then the welcome goes out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.axe_check import assert_axe_clean
from tests.browser.conftest import (
    TIMEOUT_MS,
    join_request_threads,
    release_db,
    settled,
    shot,
    sign_in,
)
from tests.landing_pages.helpers import page as make_page
from tests.messaging.factories import WELCOME, make_sequence
from webapp.models import Organization, User

PHONE = {"width": 390, "height": 844}


def test_submit_confirm_and_then_the_sequence_mail_goes_out(
    live_server: str, browser: Browser, page: Page, alice: User, alice_org: Organization
) -> None:
    sequence_id = make_sequence(alice_org, steps=WELCOME[:1]).id
    landing = make_page(alice_org, published=True)
    public_url = f"{live_server}/p/{alice_org.public_slug}/{landing.slug}"
    owner = alice.email
    release_db()

    visitor = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    visitor.set_default_timeout(TIMEOUT_MS)
    tab = visitor.new_page()
    tab.goto(public_url)
    tab.get_by_label("Your name").fill("Dana Whitfield")
    tab.get_by_label("Email").fill("dana@leedsprint.example")
    tab.locator("form.lp-form").get_by_role("button").click()
    expect(tab.get_by_role("status")).to_contain_text("Alice Bakes")

    # The confirmation mail is in the outbox: it is sent once the form's answer has gone
    # out, on the request's thread, which a loaded machine may not have finished yet.
    join_request_threads()
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/outbox")
    page.get_by_role("link", name=re.compile("Please confirm your email address")).first.click()
    text = page.locator(".mail-plain").inner_text()
    link = re.search(r"https?://\S+/confirm/\S+", text).group(0)

    # The welcome mail waits, and the automation page says why.
    page.goto(f"{live_server}/automation/{sequence_id}")
    page.get_by_role("button", name="Process Now").click()
    settled(page)
    expect(page.get_by_text("waiting for confirmation get their email")).to_be_visible()

    # The visitor opens the link: confirmed, in the business's look.
    tab.goto(live_server + urlsplit(link).path)
    expect(tab.get_by_role("heading", name="Thank you, you are confirmed")).to_be_visible()
    expect(tab.get_by_role("status")).to_contain_text("dana@leedsprint.example")
    assert_axe_clean(tab)
    shot(tab, "optin-confirmed-1280")
    tab.set_viewport_size(PHONE)
    assert tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(tab, "optin-confirmed-390")
    visitor.close()

    # Now the welcome goes out.
    page.goto(f"{live_server}/automation/{sequence_id}")
    page.get_by_role("button", name="Process Now").click()
    settled(page)
    page.goto(f"{live_server}/outbox")
    expect(page.get_by_role("link", name=re.compile("Welcome, Dana!")).first).to_be_visible()

    page.goto(f"{live_server}/leads")
    page.get_by_role("link", name="Dana Whitfield").first.click()
    expect(page.locator("#optin-state")).to_contain_text("Confirmed")
    shot(page, "optin-contact-1280")


def test_the_email_settings_page(live_server: str, page: Page, alice: User) -> None:
    owner = alice.email
    release_db()
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/settings")
    page.get_by_role("link", name="Email tracking").click()
    expect(page.get_by_label("Ask form contacts to confirm their email address")).to_be_checked()
    page.get_by_label("Tracking domain (optional)").fill("https://click.alicebakes.example")
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_role("alert")).to_contain_text("host name only")
    page.get_by_label("Tracking domain (optional)").fill("click.alicebakes.example")
    page.get_by_label("Count opens with a tracking pixel").uncheck()
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Email settings saved.")).to_be_visible()
    expect(page.get_by_label("Count opens with a tracking pixel")).not_to_be_checked()
    assert_axe_clean(page)
    shot(page, "email-settings-1280")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "email-settings-390")
