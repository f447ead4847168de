"""The dashboard's health widget changing state: Healthy, then Unhealthy once Twilio refuses
the credentials five times through the real SMS path, then Healthy again after the breaker's
trial succeeds. Also the health page and the support view, with screenshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, shot, sign_in
from tests.fakes import twilio_server
from tests.fakes.twilio_server import use_twilio
from webapp.core.extensions import db
from webapp.integrations.delivery import OutgoingMessage
from webapp.integrations.resilience import IntegrationError
from webapp.models import Organization, User
from webapp.services.connections.channels import open_channel

fake_twilio = twilio_server.fake_twilio  # the fixture


def send_sms(org_id: int, clock=lambda: datetime.now(UTC)):
    message = OutgoingMessage(
        channel="sms", to="+14155552671", text="Your table is ready.", org_id=org_id
    )
    with open_channel(org_id, "sms", engine=db.engine, clock=clock) as channel:
        return channel.send(message)


def poll(page: Page) -> None:
    """What the widget's `every 60s` trigger does, now: GET its URL and swap it in place."""
    with page.expect_response(lambda r: r.url.endswith("/health/widget")):
        page.evaluate(
            "htmx.ajax('GET', '/health/widget', {target: '#health-widget', swap: 'outerHTML'})"
        )


def test_the_dashboard_widget_turns_unhealthy_and_back(
    app, live_server: str, page: Page, alice: User, alice_org: Organization, fake_twilio
) -> None:
    use_twilio(app, fake_twilio)
    org_id = alice_org.id
    sign_in(page, live_server, alice)
    widget = page.locator("#health-widget")
    expect(widget.locator(".status")).to_have_text("Healthy")
    expect(widget).to_have_attribute("hx-trigger", "every 60s")
    shot(page, "health-widget-healthy")
    page.evaluate("window.__sameDocument = true")

    fake_twilio.fail_next(401, code=20003, message="Authenticate", times=5)
    for _ in range(5):
        with pytest.raises(IntegrationError):
            send_sms(org_id)
    release_db()
    poll(page)

    widget = page.locator("#health-widget")
    expect(widget.locator(".status")).to_have_text("Unhealthy")
    expect(widget.locator(".top-issue")).to_have_text(
        "SMS sending is paused: Twilio rejected the credentials"
    )
    expect(widget.get_by_role("link", name="Fix it")).to_have_attribute(
        "href", "/settings/integrations"
    )
    assert page.evaluate("window.__sameDocument === true"), "the poll reloaded the page"
    shot(page, "health-widget-unhealthy")

    page.goto(f"{live_server}/health")
    expect(page.locator("#health-overall .status")).to_have_text("Unhealthy")
    expect(page.locator("#integration-twilio")).to_contain_text("Paused")
    shot(page, "health-page-unhealthy")

    # 60 s later the breaker lets one trial through; it succeeds and the breaker closes.
    assert (
        send_sms(org_id, clock=lambda: datetime.now(UTC) + timedelta(seconds=61)).provider
        == "twilio"
    )
    release_db()
    page.goto(f"{live_server}/")
    poll(page)
    expect(page.locator("#health-widget .status")).to_have_text("Healthy")
    shot(page, "health-widget-recovered")


def test_support_sees_every_workspace_worst_first(
    live_server: str, page: Page, alice_org: Organization, charlie: User, support_user: User
) -> None:
    from tests.ops.test_health_pages import open_twilio_breaker
    from webapp.core import clock
    from webapp.core.extensions import db
    from webapp.services.ops.health_rows import refresh_health_rows

    open_twilio_breaker(alice_org)
    refresh_health_rows(db.session, now=clock.now())  # what the health job does
    db.session.commit()
    sign_in(page, live_server, support_user)
    page.goto(f"{live_server}/support/health")
    first = page.locator("#support-health tbody tr").first
    expect(first).to_contain_text("Alice Bakes")
    expect(first).to_contain_text("Unhealthy")
    shot(page, "health-support")
    first.get_by_role("link", name="Alice Bakes").click()
    expect(page.get_by_role("heading", name="Health: Alice Bakes")).to_be_visible()
    shot(page, "health-support-workspace")
