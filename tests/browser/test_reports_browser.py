"""Reports: the empty state, "Generate report now", and the report with both charts drawn."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from tests.reporting.test_reports import add_leads, add_metric, make_campaign
from webapp.core.extensions import db
from webapp.models import Organization, User
from webapp.services.reporting import reports

RUN_TIMEOUT_MS = 15_000


def two_weeks_of_results(org: Organization) -> None:
    """Last complete week (by the wall clock: the server runs on it) and the week before."""
    week = reports.last_complete_week(org, datetime.now(UTC))
    meta, google, seo = (make_campaign(org, c) for c in ("meta_ads", "google_ads", "seo"))
    for offset, factor in ((-7, 1), (0, 2)):
        for i in range(7):
            day = week + timedelta(days=offset + i)
            at = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
            add_metric(
                meta, day, spend=f"{12 + i}.50", revenue=f"{40 * factor + i * 5}.00", clicks=80
            )
            add_metric(google, day, spend=f"{30 + 2 * i}.00", revenue="15.00", clicks=60)
            add_metric(seo, day, spend="5.00")
            add_leads(org, at, factor + i % 3, campaign=meta)
            add_leads(org, at, 1 if i % 2 else 0, campaign=google)
    db.session.commit()


def test_it_generates_a_report_with_its_charts(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    two_weeks_of_results(alice_org)
    sign_in(page, live_server, alice)

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="No report yet")).to_be_visible()
    shot(page, "reports-empty")

    page.get_by_role("button", name="Generate report now").click()
    page.wait_for_url(re.compile(r".*/reports/\d+$"), timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_text("The report is ready.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Weekly report: "))).to_be_visible()
    expect(page.locator(".insights")).to_contain_text("Meta ads was the top channel")
    expect(page.locator(".recommendations li").first).to_be_visible()
    expect(page.locator("#card-leads .change")).to_contain_text("vs previous week")

    for kind in ("leads", "spend"):
        canvas = page.locator(f"canvas.report-chart[data-kind={kind}]")
        expect(canvas).to_have_count(1)
        page.wait_for_function(
            "kind => { const c = document.querySelector(`canvas.report-chart[data-kind=${kind}]`);"
            " const chart = c && window.Chart && window.Chart.getChart(c);"
            " return !!chart && chart.data.datasets.length > 0; }",
            arg=kind,
        )
        assert canvas.bounding_box()["height"] > 100
    labels = page.evaluate(
        "() => window.Chart.getChart(document.querySelector('canvas[data-kind=spend]')).data.datasets.map(d => d.label)"
    )
    assert labels == ["Meta ads", "Google Ads", "SEO"]
    page.wait_for_timeout(400)  # let the bars finish growing before the picture
    shot(page, "report")

    page.get_by_text("The numbers behind the charts").click()
    expect(page.locator("table.chart-table[data-kind=leads]")).to_contain_text("Meta ads")

    page.get_by_role("link", name="← All reports").click()
    expect(page.get_by_role("heading", name=re.compile("^Latest: "))).to_be_visible()
    expect(page.locator("#report-history tbody tr")).to_have_count(1)
    shot(page, "reports-index")
