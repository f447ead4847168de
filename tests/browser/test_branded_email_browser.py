"""In a real browser: the wizard's business step asks who emails come from (labelled, offered
from the owner's address, a bad address refused in place), and a sent email's HTML part,
opened as a mail client would show it, fits a phone and a desktop without sideways scroll,
in the brand's colours, and loads nothing from outside."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.broadcasts.factories import make_broadcast, make_contacts
from tests.browser.conftest import release_db, settled, shot, sign_in
from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import BrandProfile, Lead, Organization, OutboxMessage
from webapp.services import broadcasts
from webapp.services.messaging.dispatch import process_due


def test_the_wizard_asks_who_emails_come_from(live_server: str, page: Page, alice, alice_org):
    base = live_server
    email, name, org_id = alice.email, alice_org.name, alice_org.id
    sign_in(page, base, email)
    page.goto(f"{base}/autopilot/setup/business")
    expect(page.locator("#wizard")).to_contain_text("Step 1 of 4")
    expect(page.get_by_label("Sender email address")).to_have_value(email)
    expect(page.get_by_label("Sender name")).to_have_value(name)
    page.get_by_label("What does your business do?").fill(
        "A family bakery in Leeds making sourdough and celebration cakes, with a small café."
    )
    page.get_by_label("Sender name").fill("Alice’s Bakery")
    page.get_by_label("Sender email address").fill("hello@")
    # The browser's own check of type=email is what a person meets first; ours must hold too.
    page.locator("form").first.evaluate("f => f.setAttribute('novalidate', '')")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#sender_email-error")).to_contain_text("valid email address")
    settled(page)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        shot(page, f"wizard-sender-{width}")
    page.get_by_label("Sender email address").fill("hello@alicebakes.example")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#wizard")).to_contain_text("Step 2 of 4")
    release_db()
    org = db.session.get(Organization, org_id)
    assert (org.email_from_name, org.email_from_address) == (
        "Alice’s Bakery",
        "hello@alicebakes.example",
    )


def test_a_sent_email_fits_a_phone_and_a_desktop(app, page: Page, alice_org):
    db.session.add(BrandProfile(org_id=alice_org.id, primary_color="#7c2d12",
                                accent_color="#facc15", postal_address="1 Bread Lane, Leeds",
                                website="https://alicebakes.example", updated_at=START))  # fmt: skip
    ids = make_contacts(alice_org, 1)
    db.session.get(Lead, ids[0]).full_name = "<b>Zoë</b> Long-Name-Without-Any-Break-At-All"
    db.session.commit()
    assert broadcasts.send_now(db.session, make_broadcast(alice_org), actor_id=None, now=START)
    db.session.commit()
    assert process_due(app, now=START, test_mode=False).sent == 1
    html = db.session.scalars(select(OutboxMessage.body_html)).one()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("data:") else None)
    page.route("**/*", lambda route: route.abort())  # a mail client's "load images" off
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content(html)
        card = page.locator("table.card")
        assert card.bounding_box()["width"] <= 600
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        expect(page.locator("td.head")).to_have_css("background-color", "rgb(124, 45, 18)")
        expect(page.locator("td.body")).to_contain_text("Hi <b>Zoë</b>")
        expect(page.locator("td.foot").get_by_role("link", name="Unsubscribe")).to_be_visible()
        shot(page, f"email-broadcast-{width}")
    public = (app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    assert all(url.startswith(public + "/") for url in outside), outside  # the pixel only


def test_the_report_email_fits_a_phone_and_a_desktop(app, page: Page, alice, alice_org, clock):
    from jobs.runner import run_job
    from tests.reporting.test_reports import WEEK, add_metric, make_campaign
    from tests.reporting.test_weekly_report_job import MONDAY_9, autopilot

    db.session.add(BrandProfile(org_id=alice_org.id, primary_color="#0f766e",
                                accent_color="#f59e0b", updated_at=START))  # fmt: skip
    autopilot(alice_org)
    add_metric(make_campaign(alice_org, "meta_ads"), WEEK, spend="10.00", revenue="20.00")
    db.session.commit()
    clock.set(MONDAY_9)
    assert run_job(app, "weekly_report").status == "succeeded"
    db.session.commit()
    html = db.session.scalars(
        select(OutboxMessage.body_html).where(OutboxMessage.purpose == "weekly_report")
    ).one()
    page.route("**/*", lambda route: route.abort())
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content(html)
        assert page.locator("table.card").bounding_box()["width"] <= 600
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        expect(page.locator("td.head")).to_have_css("background-color", "rgb(15, 118, 110)")
        shot(page, f"email-report-{width}")
