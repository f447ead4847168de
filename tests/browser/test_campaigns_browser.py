"""Campaigns in the browser: Run autopilot now creates the campaigns and the activity feed
explains them; a campaign's tasks tick off in place; the dry run; the metrics upload."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, Campaign, CampaignMetric, Organization, User
from webapp.services.autopilot.campaigns import create_campaigns_from_strategy, local_today

RUN_TIMEOUT_MS = 15_000
STRATEGY = {
    "channels": [
        {
            "channel": "meta_ads",
            "percent": 40,
            "rationale": "Photos of the day's bakes reach people nearby.",
        },
        {
            "channel": "google_ads",
            "percent": 35,
            "rationale": "Catches people searching for cakes.",
        },
        {"channel": "email", "percent": 25, "rationale": "Brings regulars back."},
    ],
    "messaging": {
        "value_proposition": "Fresh every morning",
        "tone": "warm",
        "key_messages": ["Order by 10"],
    },
}


def _activate(org: Organization) -> AutopilotConfig:
    now = clock.now()
    config = AutopilotConfig(
        org_id=org.id,
        status="active",
        optimizer_mode="rules",  # the dry run below shows the rules' cut
        monthly_budget=Decimal("2000"),
        strategy=STRATEGY,
        created_at=now,
        updated_at=now,
        activated_at=now,
    )
    db.session.add(config)
    db.session.commit()
    return config


def _with_a_week_of_results(org: Organization) -> list[Campaign]:
    """Campaigns set up ten days ago, with a week of telling results: Meta poor, email great."""
    config = _activate(org)
    made = create_campaigns_from_strategy(
        db.session, config, org, now=clock.now() - timedelta(days=10)
    )
    today = local_today(clock.now(), org.timezone)
    figures = {"meta_ads": (300, 1, "45.00"), "google_ads": (0, 0, "0"), "email": (100, 6, "4.00")}
    for c in made:
        clicks, conversions, spend = figures[c.channel]
        for d in range(1, 8):
            db.session.add(
                CampaignMetric(
                    org_id=org.id,
                    campaign_id=c.id,
                    day=today - timedelta(days=d),
                    clicks=clicks,
                    impressions=clicks * 30,
                    conversions=conversions,
                    leads=conversions * 2,
                    spend=Decimal(spend),
                    revenue=Decimal(conversions * 40),
                    updated_at=clock.now(),
                )
            )
    # Today's spend so far: counts for the month (whatever day of it the test runs on), not for the week.
    meta = next(c for c in made if c.channel == "meta_ads")
    db.session.add(
        CampaignMetric(
            org_id=org.id,
            campaign_id=meta.id,
            day=today,
            spend=Decimal("450.00"),
            updated_at=clock.now(),
        )
    )
    db.session.commit()
    return made


def test_it_runs_the_autopilot_and_the_activity_feed_explains_the_campaigns(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    _activate(alice_org)
    sign_in(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    page.wait_for_url(f"{live_server}/marketing/campaigns")
    page.get_by_role("navigation", name="Campaigns").get_by_role(
        "link", name="Paid media budgets"
    ).click()
    page.wait_for_url(f"{live_server}/campaigns")
    expect(page.get_by_role("heading", name="Your campaigns are on their way")).to_be_visible()

    page.get_by_role("button", name="Run autopilot now").click()
    expect(page.locator(".run-result")).to_contain_text(
        "Created 3 campaigns from your strategy", timeout=RUN_TIMEOUT_MS
    )
    table = page.locator("#campaigns-table")
    expect(table.get_by_role("link", name="Meta ads — Alice Bakes")).to_be_visible()
    expect(table.get_by_role("link", name="Google ads — Alice Bakes")).to_be_visible()
    expect(table).to_contain_text("$800.00")  # 40% of $2,000
    expect(table).to_contain_text("add up to $2,000.00 of your $2,000.00 monthly budget")
    shot(page, "campaigns-after-run")

    page.get_by_role("link", name="See every decision in Activity").click()
    page.wait_for_url(f"{live_server}/activity")
    feed = page.locator("#activity-feed")
    expect(feed).to_contain_text(
        "Created the campaign “Meta ads — Alice Bakes” with a monthly budget of $800.00 (40% of $2,000.00)"
    )
    expect(feed).to_contain_text("Photos of the day's bakes reach people nearby.")
    expect(feed.locator("code.type", has_text="campaign.created")).to_have_count(3)
    shot(page, "campaigns-activity")


def test_it_ticks_off_tasks_in_place_and_shows_the_budget_history(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    meta, *_ = _with_a_week_of_results(alice_org)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/campaigns")
    shot(page, "campaigns-list")
    page.get_by_role("link", name="Meta ads — Alice Bakes").click()
    expect(page.get_by_role("heading", name="Meta ads — Alice Bakes")).to_be_visible()
    expect(page.locator(".budget-history")).to_contain_text(
        "Initial budget: 40% of the monthly budget of $2,000.00"
    )

    page.evaluate("window.__sameDocument = true")
    task = page.get_by_role(
        "checkbox", name="Install the Meta pixel on your website so leads and sales are counted"
    )
    task.check()
    expect(page.locator(".task.done")).to_have_count(1)
    expect(page.locator(".task.done")).to_contain_text("done")
    assert page.evaluate("window.__sameDocument === true"), "ticking a task reloaded the page"
    expect(page.locator("#campaign-metrics tbody tr")).to_have_count(8)  # a week and today so far
    shot(page, "campaign-page")
    page.reload()
    expect(
        page.get_by_role(
            "checkbox", name="Install the Meta pixel on your website so leads and sales are counted"
        )
    ).to_be_checked()


def test_the_dry_run_explains_what_would_change(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    _with_a_week_of_results(alice_org)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/campaigns")
    page.get_by_role("button", name="Preview changes (dry run)").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Nothing has been changed")
    meta_row = preview.locator("tr", has_text="Meta ads — Alice Bakes")
    expect(meta_row).to_contain_text("Cut")
    expect(meta_row).to_contain_text("$640.00")
    expect(preview.locator("tr", has_text="Email — Alice Bakes")).to_contain_text("Raise")
    expect(preview.locator("tr", has_text="Google ads — Alice Bakes")).to_contain_text(
        "No clicks in the last 7 days"
    )
    shot(page, "campaigns-dry-run")
    release_db()
    assert db.session.scalars(
        select(Campaign.monthly_budget).where(Campaign.channel == "meta_ads")
    ).one() == Decimal("800.00")


def test_it_uploads_results_and_reports_each_bad_row(
    live_server: str, page: Page, alice: User, alice_org: Organization, tmp_path: Path
) -> None:
    create_campaigns_from_strategy(db.session, _activate(alice_org), alice_org, now=clock.now())
    db.session.commit()
    csv_file = tmp_path / "meta-export.csv"
    csv_file.write_text(
        "Campaign name,Day,Impressions,Link clicks,Amount spent (USD),Results\n"
        'Meta ads,2026-11-20,12000,240,"1,050.40",9\n'
        "Meta ads,2026-11-21,9000,-3,30.10,4\n"
        "Spring promo,2026-11-21,100,3,1,0\n"
    )
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/campaigns/metrics/upload")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    report = page.locator(".upload-report")
    expect(report).to_contain_text("Upload done, with 2 problems")
    expect(report).to_contain_text("1 kept")
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report).to_contain_text("Clicks “-3” cannot be negative.")
    expect(report).to_contain_text("no campaign called “Spring promo”")
    shot(page, "campaigns-upload-report")
