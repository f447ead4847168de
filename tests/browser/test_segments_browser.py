"""Segments in a browser: build a segment with two rules and a group, watch the live count
follow the rules, save it and see its members; the empty state and the phone layout."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, settled, shot, sign_in
from tests.conftest import START
from tests.segments.factories import make_lead
from webapp.core.extensions import db
from webapp.models import Organization, User
from webapp.services.segments import add_tag


def test_it_builds_a_segment_and_sees_its_count(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    org = alice_org.id
    for i, (status, score) in enumerate([("won", 90), ("won", 30), ("won", 75), ("lost", 95)]):
        lead = make_lead(org, f"Customer {i}", status=status, score=score, company="Émile & Co")
        if i != 2:
            add_tag(db.session, org, lead.id, "vip", now=START)
    sign_in(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    expect(page.get_by_text("No segments yet")).to_be_visible()
    shot(page, "segments-empty")

    page.get_by_role("button", name="Create your first segment").click()
    page.get_by_label("Segment name").fill("Won VIPs")
    # Rule 1: status is won (the default field), chosen with the keyboard.
    page.get_by_label("Value").select_option("won")
    count = page.locator("#preview-count")
    expect(count).to_have_text("3")
    # Rule 2: has the tag vip.
    page.get_by_role("button", name="Add a rule").click()
    settled(page)
    page.locator("#field-2").select_option("tag")
    expect(page.locator("#op-2")).to_contain_text("has any of")  # the tag operators came
    page.locator("#value-2").fill("vip")
    page.locator("#value-2").press("Tab")
    expect(count).to_have_text("2")
    # Group 3: any of score > 80 or score < 40.
    page.get_by_role("button", name="Add a group").first.click()
    settled(page)
    page.locator("#field-3\\.1").select_option("score")
    expect(page.locator("#op-3\\.1")).to_contain_text("is more than")
    settled(page)
    page.locator("#op-3\\.1").select_option("greater_than")
    settled(page)  # the operator's refresh of the builder has landed before we type
    expect(page.locator("#value-3\\.1")).to_have_attribute("type", "number")
    page.locator("#value-3\\.1").fill("80")
    page.locator("#value-3\\.1").press("Tab")
    expect(count).to_have_text("1")
    expect(page.locator("#segment-preview")).to_contain_text("Customer 0")
    shot(page, "segments-builder")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "segments-builder-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Save segment").click()
    expect(page.locator("#member-count")).to_have_text("1")
    expect(page.locator("#segment-members")).to_contain_text("Customer 0")
    shot(page, "segments-show")
    # The member's page shows its tags; one is added with the keyboard.
    page.locator("#segment-members").get_by_role("link", name="Customer 0").click()
    expect(page.locator("#lead-tags")).to_contain_text("vip")
    page.get_by_label("Add a tag").fill("Gold")
    page.get_by_label("Add a tag").press("Enter")
    expect(page.locator("#lead-tags .tag-list")).to_contain_text("gold")
    shot(page, "segments-lead-tags")
    page.go_back()
    page.get_by_role("link", name="← All segments").click()
    expect(page.locator("#segment-list")).to_contain_text("Won VIPs")
    shot(page, "segments-list")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "segments-list-phone")
    release_db()
