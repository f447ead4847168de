"""Daily metrics: value parsing, CSV uploads (as ad platforms export them), and the JSON API."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.autopilot.test_campaigns_pages import with_campaigns
from tests.conftest import START, csrf_token, login, org_of
from webapp.core.extensions import db
from webapp.models import ActivityLog, CampaignMetric
from webapp.services.accounts import api_keys
from webapp.services.accounts import people as accounts
from webapp.services.reporting import ad_results as m
from webapp.services.reporting import ad_values as values
from webapp.services.reporting.ad_csv import MetricsError


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", "12.00"),
        ("1,234.50", "1234.50"),
        ("$1,234.5", "1234.50"),
        ("12.50 USD", "12.50"),
        ("£7", "7.00"),
        ("12,5", "12.50"),
        ("1.234,56", "1234.56"),
        ("", "0.00"),
        ("-", "0.00"),
        (3.456, "3.46"),
        (0, "0.00"),
    ],
)
def test_it_reads_amounts_as_exports_write_them(raw, value):
    assert values.parse_amount(raw) == Decimal(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [("-5", "negative"), ("abc", "not a number"), ("−3", "negative"), (True, "not a number")],
)
def test_it_refuses_bad_amounts(raw, message):
    with pytest.raises(ValueError, match=message):
        values.parse_amount(raw)


def test_it_refuses_fractional_counts():
    assert values.parse_count("1,234") == 1234
    with pytest.raises(ValueError, match="whole number"):
        values.parse_count("2.5")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026-11-20T00:00:00", date(2026, 11, 20)),
        ("2026/11/20", date(2026, 11, 20)),
        ("20/11/2026", date(2026, 11, 20)),
        ("20 Nov 2026", date(2026, 11, 20)),
        ("Nov 20, 2026", date(2026, 11, 20)),
        ("20.11.2026", date(2026, 11, 20)),
    ],
)
def test_it_reads_common_date_forms(raw, expected):
    assert values.parse_day(raw) == expected


def test_it_tells_day_first_from_month_first_by_the_file():
    assert values.date_order(["03/04/2026", "11/20/2026"]) == values.DATE_FORMATS_MDY
    assert values.parse_day("03/04/2026", values.date_order(["03/04/2026", "11/20/2026"])) == date(
        2026, 3, 4
    )
    assert values.parse_day("03/04/2026", values.date_order(["03/04/2026", "20/11/2026"])) == date(
        2026, 4, 3
    )


@pytest.mark.parametrize("raw", ["2026-02-30", "yesterday", ""])
def test_it_refuses_bad_dates(raw):
    with pytest.raises(ValueError):
        values.parse_day(raw)


# --- CSV imports -------------------------------------------------------------------------------


def stored(org) -> dict:
    db.session.expire_all()
    rows = db.session.scalars(select(CampaignMetric).where(CampaignMetric.org_id == org.id)).all()
    return {(r.campaign_id, r.day): r for r in rows}


META_EXPORT = (
    "Campaign name,Day,Impressions,Link clicks,Amount spent (USD),Results,Reporting ends\n"
    'Meta ads,2026-11-20,12000,240,"1,050.40",9,2026-11-20\n'
    "Meta ads,2026-11-21,9000,180,30.10,4,2026-11-21\n"
    "Meta ads,2026-11-22,9000,-3,30.10,4,2026-11-22\n"
    "Meta ads,22/13/2026,9000,3,30.10,4,\n"
    "Spring promo,2026-11-22,100,3,1,0,2026-11-22\n"
    "\n"
)


def test_it_imports_an_ad_platform_export_keeping_the_good_rows(app, alice, alice_org):
    meta, *_ = with_campaigns(alice_org)
    report = m.import_csv(
        db.session,
        alice_org,
        META_EXPORT.encode(),
        actor_id=alice.id,
        actor_name="Alice",
        now=START,
    )
    db.session.commit()
    assert (report.rows_read, report.rows_ok, report.days_created) == (5, 2, 2)
    assert report.columns == {
        "campaign": "Campaign name",
        "date": "Day",
        "impressions": "Impressions",
        "clicks": "Link clicks",
        "spend": "Amount spent (USD)",
        "leads": "Results",
    }
    assert report.ignored_columns == ["Reporting ends"]
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "clicks"),
        (5, "date"),
        (6, "campaign"),
    ]
    assert "cannot be negative" in report.errors[0].message
    assert "no campaign called “Spring promo”" in report.errors[2].message
    day = stored(alice_org)[(meta.id, date(2026, 11, 20))]
    assert (day.impressions, day.clicks, day.spend, day.leads, day.source) == (
        12000,
        240,
        Decimal("1050.40"),
        9,
        "csv",
    )
    assert day.conversions == 0 and day.revenue == Decimal("0")
    (row,) = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "metrics.imported")
    ).all()
    assert "2 rows kept" in row.description and "3 with errors" in row.description


def test_it_adds_up_rows_of_the_same_day_and_replaces_that_day_on_reupload(app, alice, alice_org):
    meta, *_ = with_campaigns(alice_org)
    csv = f"date,campaign,clicks,spend,conversions\n2026-11-20,{meta.id},100,10,1\n2026-11-20,{meta.name},50,5.5,2\n"
    first = m.import_csv(
        db.session, alice_org, csv.encode(), actor_id=None, actor_name="Alice", now=START
    )
    again = m.import_csv(
        db.session, alice_org, csv.encode(), actor_id=None, actor_name="Alice", now=START
    )
    db.session.commit()
    assert (first.days_created, again.days_created, again.days_updated) == (1, 0, 1)
    day = stored(alice_org)[(meta.id, date(2026, 11, 20))]
    assert (day.clicks, day.spend, day.conversions) == (150, Decimal("15.50"), 3)


def test_it_keeps_figures_a_file_does_not_give(app, alice, alice_org):
    meta, *_ = with_campaigns(alice_org)
    m.import_csv(
        db.session,
        alice_org,
        b"date,campaign,clicks,spend\n2026-11-20,Meta ads,100,10\n",
        actor_id=None,
        actor_name="A",
        now=START,
    )
    m.import_csv(
        db.session,
        alice_org,
        b"date,campaign,revenue\n2026-11-20,Meta ads,99.90\n",
        actor_id=None,
        actor_name="A",
        now=START,
    )
    db.session.commit()
    day = stored(alice_org)[(meta.id, date(2026, 11, 20))]
    assert (day.clicks, day.spend, day.revenue) == (100, Decimal("10.00"), Decimal("99.90"))


def test_it_reads_a_utf16_tab_separated_report_with_a_title_and_a_total_line(app, alice, alice_org):
    _meta, google, _email = with_campaigns(alice_org)
    text = (
        "Campaign report\n"
        "November 1, 2026 - November 22, 2026\n"
        "Day\tCampaign\tImpr.\tClicks\tCost\tConversions\tConv. value\n"
        "Nov 20, 2026\tGoogle ads\t5,000\t120\t84.20\t4\t210.00\n"
        "Total: Account\t\t5,000\t120\t84.20\t4\t210.00\n"
    )
    report = m.import_csv(
        db.session, alice_org, text.encode("utf-16"), actor_id=None, actor_name="A", now=START
    )
    db.session.commit()
    assert (report.rows_ok, report.errors) == (1, [])
    day = stored(alice_org)[(google.id, date(2026, 11, 20))]
    assert (day.impressions, day.clicks, day.spend, day.conversions, day.revenue) == (
        5000,
        120,
        Decimal("84.20"),
        4,
        Decimal("210.00"),
    )


def test_it_puts_every_row_on_the_chosen_campaign(app, alice, alice_org):
    _meta, _google, email = with_campaigns(alice_org)
    csv = b"Date;Clicks;Spend\n20/11/2026;10;1,5\n21/11/2026;20;2\n"
    report = m.import_csv(
        db.session, alice_org, csv, actor_id=None, actor_name="A", now=START, campaign_id=email.id
    )
    db.session.commit()
    assert report.rows_ok == 2
    assert stored(alice_org)[(email.id, date(2026, 11, 20))].spend == Decimal("1.50")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"name,email\nA,a@example.com\n", "header row"),
        (b"date,clicks\n2026-11-20,4\n", "no campaign column"),
    ],
)
def test_it_refuses_a_file_it_cannot_use(app, alice_org, data, message):
    with_campaigns(alice_org)
    with pytest.raises(MetricsError, match=message):
        m.import_csv(db.session, alice_org, data, actor_id=None, actor_name="A", now=START)


def test_it_does_not_find_another_workspaces_campaign(app, alice_org, charlie):
    theirs, *_ = with_campaigns(org_of(charlie))
    with_campaigns(alice_org)
    report = m.import_csv(
        db.session,
        alice_org,
        f"date,campaign,clicks\n2026-11-20,{theirs.id},4\n".encode(),
        actor_id=None,
        actor_name="A",
        now=START,
    )
    assert report.rows_ok == 0 and "no campaign" in report.errors[0].message


# --- the upload page ------------------------------------------------------------------------------


def test_the_upload_page_reports_each_bad_row(client, alice, alice_org):
    with_campaigns(alice_org)
    login(client, alice)
    token = csrf_token(client, "/campaigns/metrics/upload")
    response = client.post(
        "/campaigns/metrics/upload",
        data={
            "csrf_token": token,
            "campaign": "",
            "file": (io.BytesIO(META_EXPORT.encode()), "meta.csv"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Upload done, with 3 problems" in html and "2 kept" in html
    assert "Clicks “-3” cannot be negative." in html and "no campaign called “Spring promo”" in html
    assert "“Amount spent (USD)” as spend" in html


def test_the_upload_page_answers_422_with_the_reason(client, alice, alice_org):
    with_campaigns(alice_org)
    login(client, alice)
    token = csrf_token(client, "/campaigns/metrics/upload")
    no_file = client.post(
        "/campaigns/metrics/upload",
        data={"csrf_token": token, "campaign": ""},
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422 and "Choose a CSV file" in no_file.get_data(as_text=True)
    unusable = client.post(
        "/campaigns/metrics/upload",
        data={
            "csrf_token": token,
            "campaign": "",
            "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv"),
        },
        content_type="multipart/form-data",
    )
    assert unusable.status_code == 422 and "Could not find the header row" in unusable.get_data(
        as_text=True
    )
    wrong_campaign = client.post(
        "/campaigns/metrics/upload",
        data={
            "csrf_token": token,
            "campaign": "999999",
            "file": (io.BytesIO(b"date,clicks\n2026-11-20,1\n"), "x.csv"),
        },
        content_type="multipart/form-data",
    )
    assert wrong_campaign.status_code == 422


def test_the_template_lists_the_workspaces_campaigns(client, alice, alice_org):
    with_campaigns(alice_org)
    login(client, alice)
    response = client.get("/campaigns/metrics/template.csv")
    text = response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert (
        text.splitlines()[0] == "date,campaign,impressions,clicks,spend,leads,conversions,revenue"
    )
    assert "2026-11-23,Meta ads — Alice Bakes,0,0,0.00,0,0,0.00" in text


# --- the API ---------------------------------------------------------------------------------------


def api_key(user, org) -> str:
    _row, key = api_keys.create_api_key(
        db.session, accounts.membership(db.session, user, org.id), "Connector", now=START
    )
    db.session.commit()
    return key


def test_the_api_refuses_a_missing_or_wrong_key(client):
    assert client.post("/api/v1/metrics", json=[]).status_code == 401
    response = client.post("/api/v1/metrics", json=[], headers={"Authorization": "Bearer ap_nope"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_the_api_saves_valid_rows(client, alice, alice_org):
    meta, google, _ = with_campaigns(alice_org)
    key = api_key(alice, alice_org)
    response = client.post(
        "/api/v1/metrics",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "rows": [
                {
                    "date": "2026-11-20",
                    "campaign_id": meta.id,
                    "clicks": 100,
                    "spend": "12.50",
                    "conversions": 2,
                },
                {
                    "date": "2026-11-20",
                    "campaign": "Google ads",
                    "impressions": 1000,
                    "clicks": 20,
                    "spend": 8.2,
                    "revenue": 40,
                },
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"saved": 2, "days_created": 2, "days_updated": 0}
    rows = stored(alice_org)
    assert (
        rows[(meta.id, date(2026, 11, 20))].spend,
        rows[(meta.id, date(2026, 11, 20))].source,
    ) == (Decimal("12.50"), "api")
    assert rows[(google.id, date(2026, 11, 20))].revenue == Decimal("40.00")


def test_the_api_answers_422_with_each_rows_errors_and_saves_nothing(
    client, alice, alice_org, charlie
):
    meta, *_ = with_campaigns(alice_org)
    theirs, *_ = with_campaigns(org_of(charlie))
    key = api_key(alice, alice_org)
    response = client.post(
        "/api/v1/metrics",
        headers={"X-API-Key": key},
        json=[
            {"date": "2026-11-20", "campaign_id": meta.id, "clicks": 100},
            {"date": "2026-11-31", "campaign_id": meta.id, "clicks": -1},
            {"date": "2026-11-20", "campaign_id": theirs.id, "spend": 1},
            {"date": "2026-11-20", "campaign_id": meta.id, "cost": 1},
            "nope",
        ],
    )
    body = response.get_json()
    assert response.status_code == 422 and body["error"]["code"] == "invalid_rows"
    assert {(e["row"], e["field"]) for e in body["error"]["errors"]} == {
        (1, "date"),
        (1, "clicks"),
        (2, "campaign"),
        (3, None),
        (4, None),
    }
    assert "nothing was saved" in body["error"]["message"]
    assert stored(alice_org) == {}


@pytest.mark.parametrize(("payload", "status"), [({"rows": "x"}, 400), ([], 422), ("text", 400)])
def test_the_api_refuses_a_body_that_is_not_rows(client, alice, alice_org, payload, status):
    key = api_key(alice, alice_org)
    assert (
        client.post("/api/v1/metrics", headers={"X-API-Key": key}, json=payload).status_code
        == status
    )
