"""A contact's events in a browser: sent through the API, they load into the lead page
(htmx), newest first with their key properties, page by page in place; a contact without
events shows the empty state. Screenshots at desktop and phone width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import delete

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core.extensions import db
from webapp.models import Event, Organization, User
from webapp.services.accounts import api_keys, people
from webapp.services.leads import capture_lead


def test_the_lead_page_shows_the_contacts_events_newest_first(
    app, live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    now = datetime.now(UTC)
    ana, _ = capture_lead(
        db.session, alice_org.id, {"name": "Ana Lima", "email": "ana@shop.example"},
        source="manual", now=now - timedelta(days=30),
    )  # fmt: skip
    bea, _ = capture_lead(
        db.session, alice_org.id, {"name": "Bea Cruz", "email": "bea@shop.example"},
        source="manual", now=now,
    )  # fmt: skip
    membership = people.membership(db.session, alice, alice_org.id)
    _row, key = api_keys.create_api_key(db.session, membership, "Shop", now=now)
    ana_id, bea_id = ana.id, bea.id
    db.session.execute(delete(Event).where(Event.lead_id == bea_id))  # its lead.captured
    release_db()

    events = [
        {
            "name": "cart.abandoned" if n % 2 else "product.viewed",
            "contact": {"email": "ana@shop.example"},
            "properties": {"cart_id": f"c{n}", "total": 10 + n, "currency": "EUR"},
            "message_id": f"shop-{n}",
            "timestamp": (now - timedelta(hours=24 - n)).isoformat(),
        }
        for n in range(23)
    ]
    events.append(
        {
            "name": "order.placed",
            "contact": {"email": "ana@shop.example"},
            "properties": {"order_id": "o-1", "total": 42.5, "items": ["cake", "tea"]},
            "message_id": "order-o-1",
        }
    )
    response = page.request.post(
        f"{live_server}/api/v1/events",
        data={"events": events},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status == 200 and response.json()["stored"] == 24

    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server}/leads/{ana_id}")
    items = page.locator("#lead-events .feed-item")
    expect(items).to_have_count(10)
    expect(items.first).to_contain_text("order.placed")
    expect(items.first).to_contain_text("order_id o-1")
    expect(items.first).to_contain_text('["cake","tea"]')
    expect(items.nth(1)).to_contain_text("cart_id c22")
    # the lead's own timeline is unchanged beside it
    expect(page.locator(".timeline .feed-item")).to_have_count(1)
    shot(page, "events-lead-page")

    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Older →").click()
    expect(page.locator("#lead-events")).to_contain_text("Page 2")
    expect(items.first).to_contain_text("cart_id c13")
    page.get_by_role("link", name="Older →").click()
    expect(page.locator("#lead-events")).to_contain_text("Page 3")
    expect(items).to_have_count(5)  # 24 events + lead.captured
    expect(items.last).to_contain_text("lead.captured")
    assert page.evaluate("window.__sameDocument === true"), "paging reloaded the page"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/leads/{ana_id}")
    expect(items).to_have_count(10)
    shot(page, "events-lead-page-phone")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/leads/{bea_id}")
    expect(page.locator("#lead-events")).to_contain_text("No events yet")
    shot(page, "events-empty")

    # The retention setting, on the workspace settings page.
    page.goto(f"{live_server}/settings")
    field = page.get_by_label("Keep contacts' events for (days)")
    expect(field).to_have_value("400")
    field.fill("20")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Keep events between 30 and 3650 days.")).to_be_visible()
    shot(page, "events-retention-settings")
    page.get_by_label("Keep contacts' events for (days)").fill("90")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Workspace settings saved.")).to_be_visible()
    expect(page.get_by_label("Keep contacts' events for (days)")).to_have_value("90")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "events-retention-settings-phone")
