"""The workspace's postal address (issue 14 item 5, CAN-SPAM): asked for on the wizard's
business step, shown and edited in workspace settings, printed in the footer of both parts
of marketing email."""

from __future__ import annotations

from sqlalchemy import select

from tests.autopilot.test_wizard import BUSINESS, HX, post
from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.services.accounts import postal_address_of
from webapp.services.messaging.tracking import LinkMaker

ADDRESS = "12 Baker Street\nLeeds LS1 4AB\nUnited Kingdom"
ONE_LINE = "12 Baker Street, Leeds LS1 4AB, United Kingdom"


def address_of(org_id: int) -> str | None:
    db.session.expire_all()
    return postal_address_of(db.session, org_id)


def test_the_wizard_asks_for_it_and_keeps_it_on_the_workspace(client, alice, alice_org):
    login(client, alice)
    page = client.get("/autopilot/setup/business").get_data(as_text=True)
    assert 'name="postal_address"' in page and "Business postal address" in page
    assert "CAN-SPAM" in page

    assert post(client, "business", {**BUSINESS, "postal_address": ADDRESS}).status_code == 303

    assert address_of(alice_org.id) == ONE_LINE
    [logged] = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "workspace.postal_address")
    )
    assert ONE_LINE in logged.description and logged.actor_id == alice.id
    # Back on the step (say from the review), the kept address is in the field.
    partial = client.get("/autopilot/setup/business", headers=HX).get_data(as_text=True)
    assert "12 Baker Street" in partial


def test_a_too_long_address_is_a_field_error(client, alice, alice_org):
    login(client, alice)
    response = post(client, "business", {**BUSINESS, "postal_address": "x" * 301}, htmx=True)
    assert response.status_code == 422
    assert "under 300 characters" in response.get_data(as_text=True)
    assert address_of(alice_org.id) is None


def test_workspace_settings_show_and_edit_it(client, alice, alice_org):
    login(client, alice)
    form = {"csrf_token": csrf_token(client, "/settings"), "name": "Alice Bakes",
            "timezone": "Europe/London", "postal_address": ADDRESS}  # fmt: skip
    assert client.post("/settings", data=form).status_code == 302
    assert address_of(alice_org.id) == ONE_LINE
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="postal_address"' in page and "12 Baker Street" in page


def test_the_footer_of_both_parts_carries_it_escaped_in_html():
    links = LinkMaker("https://shop.example", "secret")
    decorated = links.decorate_email(
        7, "Hi", "<p>Hi</p>", org_name="Alice Bakes", postal_address="1 <Main> St\n& Co"
    )
    assert "You receive this from Alice Bakes, 1 <Main> St & Co. Unsubscribe:" in decorated.text
    assert "Alice Bakes, 1 &lt;Main&gt; St &amp; Co." in decorated.html
