"""Broadcasts in a browser: the empty state, compose with a field error, the preview and
a test to yourself, "Send now" with a confirmation that states the count, the progress
filling in while the sender works, pause and resume; the phone layout."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.broadcasts.factories import make_contacts
from tests.browser.conftest import release_db, shot, sign_in
from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Organization, User
from webapp.services.broadcasts import finish_sent
from webapp.services.messaging import process_due


def test_it_composes_sends_and_follows_a_broadcast(
    live_server: str, page: Page, alice: User, alice_org: Organization, app
) -> None:
    make_contacts(alice_org, 6)
    email, org_id = alice.email, alice_org.id
    sign_in(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Broadcasts").click()
    expect(page.get_by_text("No broadcasts yet")).to_be_visible()
    shot(page, "broadcasts-empty")
    page.get_by_role("button", name="Write your first broadcast").click()
    page.get_by_label("Name (only you see it)").fill("Winter menu")
    page.get_by_label("Message").fill("Hi {{firstName|there}}, our winter menu is out.")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_role("alert")).to_contain_text("An email needs a subject.")
    shot(page, "broadcasts-compose-error")
    page.get_by_label("Subject (email)").fill("Winter at Alice Bakes, {{firstName}}")
    page.get_by_role("button", name="Save and preview").click()

    expect(page.locator("#broadcast-preview")).to_contain_text("Hi Contact, our winter menu")
    expect(page.locator("#audience-count")).to_contain_text("6")
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_text(f"Test sent to {email}")).to_be_visible()
    shot(page, "broadcasts-draft")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "broadcasts-draft-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#broadcast-status")).to_have_text("sending")
    assert asked == ["Send “Winter menu” now to 6 contacts?"]
    expect(page.locator('[data-figure="recipients"]')).to_have_text("6")
    release_db()
    process_due(app, now=START, limit=2)  # the sender gets two out
    expect(page.locator('[data-figure="sent"]')).to_have_text("2")  # the progress polled
    shot(page, "broadcasts-sending")

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#broadcast-status")).to_have_text("paused")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#broadcast-status")).to_have_text("sending")
    release_db()
    process_due(app, now=START)
    finish_sent(db.session, org_id=org_id, now=START)
    release_db()
    page.reload()
    expect(page.locator("#broadcast-status")).to_have_text("sent")
    expect(page.locator('[data-figure="sent"]')).to_have_text("6")
    shot(page, "broadcasts-sent")
    page.get_by_role("link", name="← All broadcasts").click()
    expect(page.locator("#broadcast-list")).to_contain_text("Winter menu")
    shot(page, "broadcasts-list")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "broadcasts-list-phone")
    release_db()


def test_the_composer_counts_sms_segments_and_offers_plain_quotes(
    live_server: str, page: Page, alice: User
) -> None:
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/broadcasts/new")
    page.get_by_label("Channel").select_option("sms")
    box = page.locator(".sms-size-box")
    page.get_by_label("Message").fill("Hi {{firstName|there}}, it’s our winter sale! " + "a" * 100)
    expect(box).to_contain_text("2 SMS segments")
    expect(box).to_contain_text("Unicode (UCS-2)")
    shot(page, "broadcasts-sms-size")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "broadcasts-sms-size-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    box.get_by_role("button", name="Use plain quotes and spaces (1 segment)").click()
    expect(box).to_contain_text("1 SMS segment")
    expect(page.get_by_label("Message")).to_have_value(
        "Hi {{firstName|there}}, it's our winter sale! " + "a" * 100
    )
    page.get_by_label("Channel").select_option("email")
    expect(box).not_to_contain_text("segment")
