"""Texts in a browser (issue 14, items 10 and 11): the workspace's texting hours refuse to
widen the legal window, the SMS size box says the first text carries the opt-out footer,
and the Twilio card takes the WhatsApp template's Content SID; at desktop and phone widths."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import settled, shot, sign_in
from webapp.models import User


def _both_widths(page: Page, name: str) -> None:
    shot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_texting_hours_may_narrow_never_widen(live_server: str, page: Page, alice: User):
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings")
    expect(page.get_by_label("Texts from")).to_have_value("08:00")
    page.get_by_label("Texts from").fill("07:00")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Texts may not go out before 08:00")).to_be_visible()
    _both_widths(page, "texting-hours-error")
    page.get_by_label("Texts from").fill("09:00")
    page.get_by_label("Texts until").fill("20:00")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_label("Texts until")).to_have_value("20:00")


def test_the_size_box_counts_the_first_texts_footer(live_server: str, page: Page, alice: User):
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/broadcasts/new")
    page.get_by_label("Channel").select_option("sms")
    settled(page)
    page.get_by_label("Message").fill("x" * 150)
    box = page.locator(".sms-size-box")
    expect(box).to_contain_text("1 SMS segment")
    expect(box).to_contain_text("first text ends with “Reply STOP to opt out”")
    _both_widths(page, "sms-size-footer")


def test_the_twilio_card_takes_the_whatsapp_template(live_server: str, page: Page, alice: User):
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings/integrations")
    field = page.get_by_label("WhatsApp template Content SID (optional)")
    expect(field).to_be_visible()
    field.scroll_into_view_if_needed()
    _both_widths(page, "twilio-template")
