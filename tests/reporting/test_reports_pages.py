"""The reports pages: latest report, a report, history, Generate report now, isolation."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import csrf_token, login, org_of
from tests.reporting.test_reports import WEEK, add_leads, add_metric, make_campaign, noon
from webapp.core.extensions import db
from webapp.models import JobRun, WeeklyReport
from webapp.services.reporting import reports

HX = {"HX-Request": "true"}


def a_report(org, clock, week_start=WEEK) -> WeeklyReport:
    meta, google = make_campaign(org, "meta_ads"), make_campaign(org, "google_ads")
    add_metric(meta, week_start, spend="97.20", revenue="400.00")
    add_metric(google, week_start + timedelta(days=2), spend="248.00", revenue="100.00")
    add_leads(org, noon(week_start), 12, campaign=meta)
    add_leads(org, noon(week_start + timedelta(days=2)), 8, campaign=google)
    report = reports.build_weekly_report(db.session, org, week_start, clock())
    db.session.commit()
    return report


def old_reports(org, clock, n: int) -> None:
    for i in range(1, n + 1):
        reports.build_weekly_report(db.session, org, WEEK - timedelta(days=7 * i), clock())
    db.session.commit()


def test_it_shows_what_to_do_before_the_first_report(app, client, alice):
    login(client, alice)
    html = client.get("/reports").get_data(as_text=True)
    assert "No report yet" in html
    assert "Generate report now" in html
    assert 'href="/reports"' in html  # in the navigation
    assert "chart-4.6.1.umd.min.js" in html


def test_it_shows_the_latest_report_with_its_charts_data(app, client, alice, alice_org, clock):
    report = a_report(alice_org, clock)
    login(client, alice)
    html = client.get("/reports").get_data(as_text=True)
    assert "Latest: 16–22 Nov 2026" in html
    assert "Meta ads was the top channel" in html
    assert "Move budget from Google Ads" in html
    assert "Insights written by the built-in planner" in html
    assert "$345.20" in html and "1.45×" in html  # spend, ROI
    assert f'id="chart-leads-{report.id}"' in html and f'id="chart-spend-{report.id}"' in html

    block = rf'<script type="application/json" id="report-chart-data-{report.id}">(.*?)</script>'
    match = re.search(block, html, re.S)
    assert match, "the charts' data is embedded as JSON"
    data = json.loads(match.group(1))
    assert data["day_labels"][0] == "Mon 16 Nov"
    assert {s["label"]: s["values"] for s in data["leads"]}["Meta ads"] == [12, 0, 0, 0, 0, 0, 0]
    assert {s["label"]: s["values"] for s in data["spend"]}["Google Ads"][2] == "248.00"
    assert "<script>" not in html.split("<main")[1].replace(
        '<script type="application/json"', ""
    )  # no inline JS
    assert 'src="/static/reports.js"' in html
    assert (
        "The numbers behind the charts" in html
        and "<caption>Leads per channel per day</caption>" in html
    )


def test_it_shows_one_report_and_links_to_the_previous(app, client, alice, alice_org, clock):
    old_reports(alice_org, clock, 1)
    report = a_report(alice_org, clock)
    previous = db.session.scalars(
        select(WeeklyReport).where(WeeklyReport.week_start == WEEK - timedelta(days=7))
    ).one()
    login(client, alice)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Weekly report: 16–22 Nov 2026" in html
    assert f'href="/reports/{previous.id}"' in html
    assert "Europe/London" in html


def test_it_answers_htmx_with_partials(app, client, alice, alice_org, clock):
    report = a_report(alice_org, clock)
    login(client, alice)
    history = client.get("/reports", headers=HX)
    assert history.status_code == 200 and "<html" not in history.get_data(as_text=True)
    assert 'id="report-history"' in history.get_data(as_text=True)
    assert "HX-Request" in history.headers["Vary"]
    one = client.get(f"/reports/{report.id}", headers=HX).get_data(as_text=True)
    assert "<html" not in one and f'id="report-{report.id}"' in one


def test_it_pages_through_the_history(app, client, alice, alice_org, clock):
    a_report(alice_org, clock)
    old_reports(alice_org, clock, 11)  # 12 reports, 10 per page
    login(client, alice)
    first = client.get("/reports").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Older →" in first
    second = client.get("/reports?page=2", headers=HX).get_data(as_text=True)
    assert second.count('<td><a href="/reports/') == 2
    assert "← Newer" in second
    assert "Page 2 of 2" in client.get("/reports?page=99", headers=HX).get_data(as_text=True)
    assert "Page 1 of 2" in client.get("/reports?page=abc", headers=HX).get_data(as_text=True)


def test_it_escapes_what_a_model_wrote(app, client, alice, alice_org, clock):
    report = a_report(alice_org, clock)
    report.insights = ['<img src=x onerror="alert(1)">']
    db.session.commit()
    login(client, alice)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_it_hides_other_workspaces_reports(app, client, alice_org, charlie, clock):
    report = a_report(alice_org, clock)
    login(client, charlie)
    assert client.get(f"/reports/{report.id}").status_code == 404
    html = client.get("/reports").get_data(as_text=True)
    assert "No report yet" in html and "Meta ads" not in html
    assert reports.latest_report(db.session, org_of(charlie).id) is None


def _wait_for_report(client, html: str) -> str:
    """Follow the generate panel's polling until it redirects to the new report."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        match = re.search(r'hx-get="(/reports/runs/\d+)"', html)
        assert match, html
        # The test client shares this test's app context, hence its session: end its read
        # transaction so the next request sees what the job thread committed.
        db.session.rollback()
        response = client.get(match.group(1), headers=HX)
        if response.headers.get("HX-Redirect"):
            return response.headers["HX-Redirect"]
        html = response.get_data(as_text=True)
        time.sleep(0.1)
    raise AssertionError("the report did not finish")


def test_it_generates_a_report_now(app, client, alice, alice_org, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, WEEK, spend="50.00", revenue="75.00")
    db.session.commit()
    login(client, alice)
    token = csrf_token(client, "/reports")
    response = client.post("/reports/generate", headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    location = response.headers.get("HX-Redirect") or _wait_for_report(client, html)
    db.session.commit()
    report = reports.latest_report(db.session, alice_org.id)
    assert location == f"/reports/{report.id}"
    assert report.spend == Decimal("50.00")
    page = client.get(location).get_data(as_text=True)
    assert "The report is ready." in page
    run = db.session.scalars(select(JobRun).where(JobRun.job == "weekly_report")).one()
    assert (run.org_id, run.trigger, run.started_by_id) == (alice_org.id, "manual", alice.id)


def _finished_runs() -> list:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            statuses = list(
                conn.scalars(select(JobRun.status).where(JobRun.job == "weekly_report"))
            )
        if statuses and "running" not in statuses:
            return statuses
        time.sleep(0.1)
    raise AssertionError("the report run did not finish")


def test_staff_may_generate_a_report(app, client, bob, alice_org):
    login(client, bob)
    token = csrf_token(client, "/reports")
    response = client.post("/reports/generate", data={"csrf_token": token})  # without JavaScript
    assert response.status_code == 303 and response.headers["Location"].endswith("/reports")
    assert _finished_runs() == ["succeeded"]
    db.session.rollback()
    assert reports.latest_report(db.session, alice_org.id) is not None


def test_support_may_not_generate_a_report(app, client, support_user):
    login(client, support_user)
    html = client.get("/reports").get_data(as_text=True)
    assert "No report yet" in html and 'class="generate-report"' not in html
    token = csrf_token(client, "/reports")
    assert client.post("/reports/generate", data={"csrf_token": token}).status_code == 403


def test_it_refuses_a_generate_without_csrf(app, client, alice):
    login(client, alice)
    assert client.post("/reports/generate", headers=HX).status_code == 400


def test_it_shows_a_failed_run(app, client, alice, alice_org, clock):
    run = JobRun(
        job="weekly_report",
        period="manual:x",
        org_id=alice_org.id,
        trigger="manual",
        status="failed",
        holder="h",
        started_at=clock(),
        heartbeat_at=clock(),
        error="RuntimeError: boom",
        summary={},
    )
    db.session.add(run)
    db.session.commit()
    login(client, alice)
    html = client.get(f"/reports/runs/{run.id}", headers=HX).get_data(as_text=True)
    assert "The report could not be generated: RuntimeError: boom" in html
    assert "Generate report now" in html
    assert (
        client.get(f"/reports/runs/{run.id}").status_code == 302
    )  # a plain visit goes to the page
