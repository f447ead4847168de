"""The activity feed: filter by type in place (htmx, URL pushed), clear, load more."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.conftest import shot, sign_in
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import ActivityLog, Organization, User
from webapp.services.activity.log import PAGE_SIZE, log_activity

# 30 rows besides sign-up's own: more than one page, so "Load more" appears.
KINDS = {"contact.created": 20, "campaign.launched": 6, "email.sent": 4}


def _fill_feed(org: Organization, actor_id: int) -> int:
    """Log the rows, oldest first; returns how many rows the workspace's feed now has."""
    now = clock.now() - timedelta(hours=sum(KINDS.values()))
    number = 0
    for kind, count in KINDS.items():
        for i in range(count):
            number += 1
            log_activity(
                db.session,
                org,
                kind,
                f"{kind.split('.')[0].capitalize()} #{i + 1}: automated step {number}",
                now=now + timedelta(hours=number),
                entity=(kind.split(".")[0], i + 1),
                details={"n": number},
                actor_id=actor_id if kind == "campaign.launched" else None,
            )
    db.session.commit()
    return db.session.scalar(
        select(func.count()).select_from(ActivityLog).where(ActivityLog.org_id == org.id)
    )


def _types_shown(page: Page) -> set[str]:
    return set(page.locator("#activity-feed .feed-item code.type").all_text_contents())


def test_it_filters_by_type_in_place_and_loads_more(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    total = _fill_feed(alice_org, alice.id)
    assert total > PAGE_SIZE
    sign_in(page, live_server, alice)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activity").click()
    page.wait_for_url(f"{live_server}/activity")
    items = page.locator("#activity-feed .feed-item")
    expect(items).to_have_count(PAGE_SIZE)
    expect(page.get_by_role("button", name="Load more")).to_be_visible()
    shot(page, "activity-feed")

    # A marker on window survives an htmx swap and dies with a full page load.
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(
        lambda r: "/activity?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_label("Type").select_option("campaign.launched")
    expect(page).to_have_url(re.compile(r"/activity\?.*type=campaign\.launched"))
    expect(items).to_have_count(KINDS["campaign.launched"])
    assert _types_shown(page) == {"campaign.launched"}
    expect(items.first.locator(".tag")).to_have_text("Alice Owner")
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "the filter reloaded the whole page"
    shot(page, "activity-filtered")

    page.get_by_role("link", name="Clear", exact=True).click()
    page.wait_for_url(f"{live_server}/activity")
    expect(page.get_by_label("Type")).to_have_value("")
    expect(items).to_have_count(PAGE_SIZE)
    assert _types_shown(page) == set(KINDS), "the newest page mixes every type"

    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Load more").click()
    expect(items).to_have_count(total)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    ids = [int(i.split("-")[1]) for i in items.evaluate_all("els => els.map(e => e.id)")]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == total, "newest first, no repeats"
    assert page.evaluate("window.__sameDocument === true"), "Load more reloaded the whole page"
    shot(page, "activity-load-more")


def test_repeats_read_as_one_plain_line_with_the_detail_folded_for_support(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    """Seven identical `ai.fallback` rows in a row are one line "× 7"; the kind, the record
    and the raw data are folded away under "Technical details", not shown as the line."""
    now = clock.now() - timedelta(hours=1)
    text = "OpenAI did not answer, so the built-in writer wrote this message."
    for i in range(7):
        log_activity(
            db.session,
            alice_org,
            "ai.fallback",
            text,
            now=now + timedelta(minutes=i),
            entity=("campaign", 4),
            details={"error_class": "THIRD_PARTY_AUTH_FAILED"},
        )
    db.session.commit()
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/activity")
    line = page.locator("#activity-feed .feed-item", has_text=text)
    expect(line).to_have_count(1)
    expect(line.locator(".repeat-count")).to_have_text("× 7")
    for technical in ("ai.fallback", "THIRD_PARTY_AUTH_FAILED", "campaign #4"):
        expect(line.get_by_text(technical)).to_be_hidden()
    expect(line.locator("summary")).to_have_text("Technical details")
    line.locator("summary").click()
    expect(line.get_by_text("ai.fallback")).to_be_visible()
    shot(page, "activity-repeats")
