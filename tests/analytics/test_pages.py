"""The analytics pages: templates, the definition form and its errors, the report page
with figures, charts and tables, CSV, deleting; another workspace sees nothing."""

from __future__ import annotations

import re

import pytest

from tests.analytics.factories import AFTER, make_report, seed_shop
from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import ActivityLog, AnalyticsReport


def checked(html: str, value: str) -> bool:
    return re.search(rf'<input checked[^>]*value="{value}"', html) is not None


def _form(client, **over) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/analytics/new"),
        "name": "Daily sales",
        "report_type": "sales",
        "schedule": "daily",
        "send_hour": "7",
        "metrics": ["revenue", "orders"],
        "dimensions": ["date"],
        "channel": "",
        "recipients": "owner@shop.example, team@shop.example",
    }
    data.update(over)
    return data


def test_it_shows_the_templates_and_what_to_do_when_empty(client, alice):
    login(client, alice)
    html = client.get("/analytics").get_data(as_text=True)
    assert "No reports yet" in html
    for name in ("Daily Sales Summary", "Weekly Marketing Performance", "Monthly Business Review"):
        assert name in html
    assert 'href="/analytics"' in client.get("/").get_data(as_text=True)  # in the navigation


def test_a_template_fills_the_form(client, alice):
    login(client, alice)
    html = client.get("/analytics/new?template=weekly_marketing").get_data(as_text=True)
    assert 'value="Weekly Marketing Performance"' in html
    assert checked(html, "email_open_rate") and checked(html, "campaign")
    assert not checked(html, "revenue")
    assert re.search(r'<input[^>]*name="send_hour"[^>]*value="7"', html)
    assert "alice@example.com" in html  # the owner is the first recipient


def test_it_saves_a_report_and_shows_its_page(client, alice, alice_org):
    login(client, alice)
    response = client.post("/analytics/new", data=_form(client))
    assert response.status_code == 303
    report = db.session.query(AnalyticsReport).one()
    assert report.recipients == ["owner@shop.example", "team@shop.example"]
    assert report.metrics == ["revenue", "orders"] and report.org_id == alice_org.id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Daily sales" in html and 'id="chart-date"' in html
    assert "How: Sum of the" in html  # each metric says how it is computed
    assert db.session.query(ActivityLog).filter_by(type="analytics.report_created").count() == 1


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"name": "  "}, "name", "Give the report a name."),
        ({"metrics": []}, "metrics", "Choose at least one metric."),
        ({"metrics": ["revenue", "bogus"]}, "metrics", "Unknown metric: bogus."),
        ({"dimensions": ["date", "channel", "campaign", "source"]}, "dimensions", "at most 3"),
        ({"recipients": ""}, "recipients", "Add at least one email address"),
        ({"recipients": "owner@shop.example, not-an-address"}, "recipients", "not-an-address"),
        ({"schedule": "hourly"}, "schedule", "Choose daily, weekly or monthly."),
        ({"send_hour": "24"}, "send_hour", "between 0 and 23"),
        ({"channel": "fax"}, "channel", "Choose one of the channels"),
    ],
)
def test_bad_input_is_shown_on_its_field(client, alice, over, field, message):
    login(client, alice)
    response = client.post("/analytics/new", data=_form(client, **over))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert db.session.query(AnalyticsReport).count() == 0


def test_the_page_shows_figures_tables_and_the_previous_period(client, alice, alice_org, clock):
    seed_shop(alice_org)
    report = make_report(alice_org)
    db.session.commit()
    clock.set(AFTER)
    login(client, alice)
    html = client.get(f"/analytics/{report.id}").get_data(as_text=True)
    assert "Tue 24 Nov 2026" in html and "Mon 23 Nov 2026" in html
    assert "$125.50" in html  # revenue of the Berlin day
    assert "+25.5% vs previous" in html
    assert "<caption>Product category for Tue 24 Nov 2026</caption>" in html
    earlier = client.get(f"/analytics/{report.id}?period=2026-11-23").get_data(as_text=True)
    assert "$100.00" in earlier
    assert client.get(f"/analytics/{report.id}?period=2026-12-30").status_code == 404
    assert client.get(f"/analytics/{report.id}?period=nonsense").status_code == 404


def test_csv_export_has_the_totals_and_a_block_per_dimension(client, alice, alice_org, clock):
    seed_shop(alice_org)
    report = make_report(alice_org, metrics=["revenue", "orders"], dimensions=["product_category"])
    db.session.commit()
    clock.set(AFTER)
    login(client, alice)
    response = client.get(f"/analytics/{report.id}/export.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[4].startswith("Revenue,125.5,100,25.5,")
    assert "Product category,Revenue,Orders" in lines
    assert "shoes,100.5,2" in lines


def test_editing_and_deleting_a_report(client, alice, alice_org):
    report = make_report(alice_org)
    db.session.commit()
    login(client, alice)
    edit = client.get(f"/analytics/{report.id}/edit").get_data(as_text=True)
    assert "owner@shop.example" in edit and checked(edit, "roi")
    response = client.post(
        f"/analytics/{report.id}/edit", data=_form(client, name="Renamed", schedule="weekly")
    )
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.name == "Renamed" and report.schedule == "weekly"
    show = client.get(f"/analytics/{report.id}").get_data(as_text=True)
    assert "return confirm(" in show  # deleting asks first
    token = csrf_token(client, f"/analytics/{report.id}")
    assert (
        client.post(f"/analytics/{report.id}/delete", data={"csrf_token": token}).status_code == 303
    )
    assert db.session.get(AnalyticsReport, report.id) is None


def test_another_workspace_gets_404(client, alice_org, charlie):
    report = make_report(alice_org)
    db.session.commit()
    login(client, charlie)
    for path in ("", "/edit", "/export.csv"):
        assert client.get(f"/analytics/{report.id}{path}").status_code == 404
    token = csrf_token(client, "/analytics")
    assert (
        client.post(f"/analytics/{report.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert client.post(f"/analytics/{report.id}/edit", data=_form(client)).status_code == 404
    assert "Daily sales" not in client.get("/analytics").get_data(as_text=True)
    assert db.session.get(AnalyticsReport, report.id) is not None


def test_the_page_works_once_the_chart_drawing_module_is_loaded(client, alice, alice_org):
    # a submodule imported by the email path becomes an attribute of the package: no export
    # may share its name (an export "charts" was shadowed by the module and the page failed)
    import webapp.services.analytics.charts  # noqa: F401

    report = make_report(alice_org)
    db.session.commit()
    login(client, alice)
    assert client.get(f"/analytics/{report.id}").status_code == 200
