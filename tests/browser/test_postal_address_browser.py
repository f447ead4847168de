"""The postal address for email footers: typed on the wizard's business step, then seen and
changed in workspace settings. Screenshots at desktop and phone width."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, settled, shot, sign_in
from webapp.core.extensions import db
from webapp.services.accounts import postal_address_of

PHONE = {"width": 390, "height": 844}


def _both_widths(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_wizard_asks_for_the_postal_address_and_settings_edit_it(
    page: Page, live_server, alice, alice_org
):
    org_id, email = alice_org.id, alice.email
    release_db()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/autopilot/setup/business")
    page.get_by_label("What does your business do?").fill(
        "A family bakery in Leeds making sourdough and celebration cakes."
    )
    page.get_by_label("Business postal address").fill("12 Baker Street\nLeeds LS1 4AB")
    _both_widths(page, "postal-wizard-business")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{live_server}/autopilot/setup/audience")
    settled(page)

    page.goto(f"{live_server}/settings")
    field = page.get_by_label("Business postal address")
    expect(field).to_have_value("12 Baker Street, Leeds LS1 4AB")
    field.fill("PO Box 7, Leeds LS2 9ZZ")
    _both_widths(page, "postal-settings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Workspace settings saved.")).to_be_visible()
    release_db()
    db.session.expire_all()
    assert postal_address_of(db.session, org_id) == "PO Box 7, Leeds LS2 9ZZ"
