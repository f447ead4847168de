"""Settings → Suppressed addresses and the bounce mailbox in Chromium, at 1280 and 390 px:
the empty state, a list with every reason, adding by hand, no sideways scrolling."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Organization, User
from webapp.services.connections import save_credentials
from webapp.services.suppression import suppress

ROWS = [
    ("email", "dana.diaz@example.org", "hard_bounce", "SMTP 550: 5.1.1 <dana.diaz@example.org>: Recipient address rejected: User unknown in virtual mailbox table", "smtp"),
    ("email", "erin@example.net", "complaint", "Abuse report (abuse)", "mailbox"),
    ("sms", "+14155552671", "unsubscribe", "replied STOP by SMS", "sms"),
    ("whatsapp", "+447911123456", "manual", "Asked in the shop not to be messaged", "manual"),
]  # fmt: skip


def _no_sideways_scroll(page: Page) -> None:
    wide = page.evaluate("""() => [document.documentElement.scrollWidth, window.innerWidth,
      [...document.querySelectorAll('body *')].filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))]""")
    assert wide[0] <= wide[1] + 1, wide


def test_the_suppression_pages(page: Page, live_server: str, alice: User, alice_org: Organization):
    org_id, alice_id = alice_org.id, alice.id
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings/suppressed")
    expect(page.get_by_text("No address is suppressed yet")).to_be_visible()
    shot(page, "suppression-empty-1280")
    for channel, address, reason, detail, source in ROWS:
        suppress(db.session, org_id, channel, address, reason=reason, now=clock.now(),
                 detail=detail, source=source)  # fmt: skip
    release_db()
    page.goto(f"{live_server}/settings/suppressed")
    expect(page.get_by_role("cell", name="dana.diaz@example.org", exact=True)).to_be_visible()
    expect(page.get_by_text("Spam complaint")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "suppression-list-1280")

    page.get_by_label("Email address or phone number").fill("not an address")
    page.get_by_role("button", name="Suppress this address").click()
    expect(page.locator("#address-error")).to_contain_text("Invalid email address")
    page.get_by_label("Email address or phone number").fill("Fay@Example.com")
    page.get_by_role("button", name="Suppress this address").click()
    expect(page.get_by_text("fay@example.com is suppressed")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/settings/suppressed")
    shot(page, "suppression-list-390")
    _no_sideways_scroll(page)

    save_credentials(db.session, org_id, "bounces",
                     {"host": "pop.alicebakes.example", "port": "995", "username": "bounces",
                      "password": "a-long-mailbox-password", "address": "bounces@alicebakes.example"},
                     actor_id=alice_id, now=clock.now())  # fmt: skip
    release_db()
    page.goto(f"{live_server}/settings/suppressed/mailbox")
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "bounce-mailbox-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/settings/suppressed/mailbox")
    shot(page, "bounce-mailbox-1280")
