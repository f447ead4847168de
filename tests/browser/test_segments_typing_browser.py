"""The segment builder keeps what you type while its refresh is in flight: changing a
rule's operator re-renders the rules from the server, and text typed into another field
before that answer lands stays (static/keep-edits.js), and the live count follows it."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.slow import refreshing, slow_posts
from tests.browser.test_segments_browser import settled
from tests.segments.factories import make_lead
from webapp.models import Organization, User


def test_text_typed_during_a_builder_refresh_is_kept(
    app: Flask, live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    slow_posts(app, refreshing)
    for i, company in enumerate(["Émile & Co", "Émile & Co", "Other"]):
        make_lead(alice_org.id, f"Customer {i}", company=company, status="won")
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/segments/new")
    page.get_by_label("Segment name").fill("Émile")
    page.get_by_role("button", name="Add a rule").click()
    settled(page)
    page.locator("#field-2").select_option("company")
    settled(page)
    page.locator("#value-2").fill("Ém")
    # Rule 1's operator changes: the builder refresh leaves and takes 1.5 s to answer…
    page.locator("#op-1").select_option("not_equals")
    page.wait_for_function("() => document.querySelector('.htmx-request')")
    # …while the user goes on typing in rule 2.
    page.locator("#value-2").press_sequentially("ile & Co")
    settled(page)
    expect(page.locator("#op-1")).to_have_value("not_equals")  # the refresh has landed
    expect(page.locator("#value-2")).to_have_value("Émile & Co")
    expect(page.locator("#value-2")).to_be_focused()
    expect(page.locator("#segment-preview")).to_contain_text("Customer 1")
    expect(page.locator("#preview-count")).to_have_text("2")
    expect(page.get_by_label("Segment name")).to_have_value("Émile")
