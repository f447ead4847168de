"""What support sees: every workspace's health as home, a navigation of what it can use,
and no owner buttons that would only answer 403."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from webapp.models import Organization, User


def test_support_lands_on_every_workspaces_health_with_its_own_navigation(
    live_server: str, page: Page, alice_org: Organization, support_user: User
) -> None:
    sign_in(page, live_server, support_user)
    assert page.url == f"{live_server}/support/health"
    nav = page.get_by_role("navigation", name="Main")
    links = [text.strip() for text in nav.get_by_role("link").all_inner_texts()]
    assert links == ["All workspaces", "Activity", "Scheduler"], links
    expect(nav.get_by_role("link", name="All workspaces")).to_have_attribute("aria-current", "page")
    expect(page.locator("#support-health")).to_contain_text("Alice Bakes")
    shot(page, "support-home")
    for path in ("/activity", "/scheduler"):  # every link in its navigation works for support
        assert page.goto(f"{live_server}{path}").status == 200, path


def test_support_sees_no_next_button_in_the_wizard(
    live_server: str, page: Page, support_user: User
) -> None:
    sign_in(page, live_server, support_user)
    page.goto(f"{live_server}/autopilot/setup")
    expect(page.locator("#wizard-read-only")).to_contain_text("only an owner")
    expect(page.get_by_role("button", name="Next")).to_have_count(0)
    shot(page, "support-wizard")


def test_support_reads_every_time_in_its_own_zone_as_the_footer_says(
    live_server: str, page: Page, alice_org: Organization, charlie: User, support_user: User
) -> None:
    """Berlin's row at 10:00 UTC and New York's at 11:00 UTC: shown 10:00 and 11:00 (UTC,
    support's zone), newest first, not 11:00 Berlin above 07:00 New York."""
    from tests.conftest import org_of
    from webapp.core.extensions import db
    from webapp.services.activity import log_activity

    ny = org_of(charlie)
    alice_org.timezone, ny.timezone = "Europe/Berlin", "America/New_York"
    log_activity(
        db.session, alice_org, "note", "Berlin row", now=datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    )
    log_activity(
        db.session, ny, "note", "New York row", now=datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    )
    db.session.commit()
    berlin_id = alice_org.id
    sign_in(page, live_server, support_user)
    page.goto(f"{live_server}/activity")
    expect(page.locator("body > footer")).to_contain_text("times shown in UTC")
    newer = page.locator(".feed-item", has_text="New York row")
    older = page.locator(".feed-item", has_text="Berlin row")
    expect(newer).to_contain_text("20 Nov 2026, 11:00")
    expect(older).to_contain_text("20 Nov 2026, 10:00")
    shot(page, "support-activity-times")
    page.goto(f"{live_server}/support/health/{berlin_id}")  # a Berlin workspace, read by support
    expect(page.locator("body > footer")).to_contain_text("times shown in UTC")
