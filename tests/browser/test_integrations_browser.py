"""Settings → Integrations in a browser: save SMTP credentials, see them masked, test them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from tests.fakes import smtp_server
from webapp.models import User

pytestmark = pytest.mark.filterwarnings(
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

smtp_sink = smtp_server.smtp_sink  # the fixture
PASSWORD = "oven-mitts-and-8472"


def test_an_owner_saves_smtp_sees_it_masked_and_tests_the_connection(
    live_server: str, page: Page, alice: User, smtp_sink: smtp_server.SmtpSink
) -> None:
    smtp_sink.require_auth("hello@alicebakes.example", PASSWORD)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings")
    page.get_by_role("link", name="Integrations").click()
    card = page.locator("#integration-smtp")
    expect(card.locator(".status")).to_have_text("Not configured — email goes to the outbox")

    page.evaluate("window.__sameDocument = true")
    card.get_by_label("Mail server (SMTP host)").fill("127.0.0.1")
    card.get_by_label("Port", exact=True).fill(str(smtp_sink.port))
    card.get_by_label("Security").select_option("none")
    card.get_by_label("Username").fill("hello@alicebakes.example")
    card.get_by_label("Password").fill(PASSWORD)
    card.get_by_label("Allow plain-text login").check()  # the sink on loopback has no TLS
    card.get_by_label("Send as (From)").fill("Alice Bakes <hello@alicebakes.example>")
    shot(page, "integrations-smtp-filled")
    with page.expect_response(lambda r: r.url.endswith("/settings/integrations/smtp")) as saved:
        card.get_by_role("button", name="Save Email (SMTP)").click()
    assert saved.value.status == 200

    card = page.locator("#integration-smtp")
    expect(card.locator(".status")).to_have_text("Configured for this workspace")
    expect(card.locator("dl.saved")).to_contain_text("••••")
    assert PASSWORD not in page.content()
    expect(card.get_by_label("Password")).to_have_value("")

    with page.expect_response(
        lambda r: r.url.endswith("/settings/integrations/smtp/test")
    ) as tested:
        card.get_by_role("button", name="Test connection").click()
    assert tested.value.status == 200
    result = page.locator("#test-result-smtp")
    expect(result).to_contain_text("Connection works.")
    expect(result).to_contain_text("signed in as hello@alicebakes.example")
    expect(page.locator("#integration-smtp")).to_contain_text("Last worked")
    assert page.evaluate("window.__sameDocument === true"), "the card was not updated in place"
    assert smtp_sink.messages == []
    shot(page, "integrations-smtp-tested")

    # A wrong port: the failure says why and what to do, in the card.
    smtp_sink.refuse()
    page.locator("#integration-smtp").get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text("Connection failed.")
    expect(result).to_contain_text("The server could not be reached.")
    expect(result).to_contain_text("Fix:")
    shot(page, "integrations-smtp-failed")


def test_an_owner_turns_on_dkim_and_sees_the_dns_record_not_the_key(
    live_server: str, page: Page, alice: User
) -> None:
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings/integrations")
    page.get_by_role("link", name="DKIM signing").click()
    expect(page.locator("#dkim .status")).to_have_text("Off")
    page.get_by_label("Signing domain").fill("alicebakes.example")
    page.get_by_label("Selector").fill("autopilot1")
    page.get_by_role("button", name="Generate a key").click()

    expect(page.locator("#dkim .status")).to_have_text("On")
    expect(page.locator("#dkim-record-name")).to_have_text(
        "autopilot1._domainkey.alicebakes.example"
    )
    expect(page.locator("#dkim-record-value")).to_contain_text("v=DKIM1; k=rsa; p=")
    assert "PRIVATE KEY" not in page.content()
    expect(page.get_by_label("Private key (PEM)")).to_have_value("")
    shot(page, "integrations-dkim")
    page.set_viewport_size({"width": 390, "height": 800})
    shot(page, "integrations-dkim-390")
