"""Weekly reports: the numbers, the week boundaries, the words, the upsert and the email."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from tests.fakes.openai_server import FakeOpenAI, reply_json, reply_text
from webapp.core.extensions import db
from webapp.integrations.openai import validate
from webapp.models import AiCall, Campaign, CampaignMetric, Lead, OutboxMessage, WeeklyReport
from webapp.services.ai import answers
from webapp.services.reporting import display, figures, reports
from webapp.services.reporting.delivery import queue_report_emails, send_report_emails
from webapp.services.reporting.insights import builtin_insights

WEEK = date(2026, 11, 16)  # the last complete week at START (Monday 23 Nov 2026)
PREV = WEEK - timedelta(days=7)


# --- factories ----------------------------------------------------------------------------


def email_report(session, org, report, *, now, public_url) -> list[str]:
    """What the weekly job does: queue the report's emails, commit, run the jobs. Returns
    the addresses emailed."""
    waiting = queue_report_emails(session, org, report, now=now, public_url=public_url)
    session.commit()
    return send_report_emails(db.engine, owner="test", clock=lambda: now, job_ids=waiting).to


def make_campaign(org, channel: str) -> Campaign:
    campaign = Campaign(
        org_id=org.id,
        name=f"{channel} campaign",
        channel=channel,
        kind="auto",
        auto_managed=True,
        status="active",
        monthly_budget=Decimal("1000"),
        created_at=START,
        updated_at=START,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def add_metric(
    campaign: Campaign, day: date, spend="0", revenue="0", clicks=0, conversions=0
) -> CampaignMetric:
    metric = CampaignMetric(
        org_id=campaign.org_id,
        campaign_id=campaign.id,
        day=day,
        clicks=clicks,
        spend=Decimal(spend),
        revenue=Decimal(revenue),
        conversions=conversions,
        updated_at=START,
    )
    db.session.add(metric)
    db.session.flush()
    return metric


def add_leads(
    org, at: datetime, n: int = 1, campaign: Campaign | None = None, source: str = "form"
) -> None:
    for _ in range(n):
        db.session.add(
            Lead(
                org_id=org.id,
                full_name="Pat Lead",
                source=source,
                campaign_id=campaign.id if campaign else None,
                created_at=at,
                updated_at=at,
            )
        )
    db.session.flush()


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def build(org, clock, week_start=None) -> WeeklyReport:
    report = reports.build_weekly_report(db.session, org, week_start, clock())
    db.session.commit()
    return report


# --- weeks --------------------------------------------------------------------------------


def test_it_defaults_to_the_last_complete_week(alice_org):
    assert reports.last_complete_week(alice_org, START) == WEEK
    sunday_night = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)  # still Sunday in London
    assert reports.last_complete_week(alice_org, sunday_night) == PREV


def test_it_uses_the_workspace_zone_for_week_boundaries(app, alice_org, clock):
    summer = date(2026, 6, 15)  # British Summer Time: London is UTC+1
    late_sunday_london = datetime(2026, 6, 21, 22, 30, tzinfo=UTC)  # Sunday 23:30 in London
    late_sunday_utc = datetime(2026, 6, 21, 23, 30, tzinfo=UTC)  # already Monday 00:30 in London
    add_leads(alice_org, late_sunday_london)
    add_leads(alice_org, late_sunday_utc)
    db.session.commit()

    london = figures.week_figures(db.session, alice_org, summer)
    assert london.leads == 1
    assert london.daily_leads["other"][6] == 1  # Sunday

    alice_org.timezone = "UTC"
    utc = figures.week_figures(db.session, alice_org, summer)
    assert utc.leads == 2


def test_it_refuses_a_week_that_does_not_start_on_monday(app, alice_org, clock):
    with pytest.raises(ValueError):
        reports.gather_facts(db.session, alice_org, date(2026, 11, 17), clock())


# --- the numbers --------------------------------------------------------------------------


def test_it_reports_no_roi_when_nothing_was_spent(app, alice_org, clock):
    add_leads(alice_org, noon(WEEK), 3)
    report = build(alice_org, clock)
    assert report.leads == 3 and report.spend == Decimal("0")
    assert report.roi is None
    roi_card = next(c for c in display.headline_cards(report) if c["key"] == "roi")
    assert roi_card["value"] == "no spend"
    assert figures.roi(Decimal("50"), Decimal("0")) is None


def test_it_computes_roi_as_revenue_over_spend(app, alice_org, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, WEEK, spend="100.00", revenue="250.00")
    add_metric(meta, WEEK + timedelta(days=6), spend="50.00", revenue="50.00")
    add_metric(
        meta, WEEK + timedelta(days=7), spend="999.00", revenue="1.00"
    )  # next week: not counted
    report = build(alice_org, clock)
    assert (report.spend, report.revenue, report.roi) == (
        Decimal("150.00"),
        Decimal("300.00"),
        Decimal("2.0000"),
    )


def test_it_marks_a_change_from_zero_as_new(app, alice_org, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, WEEK, spend="80.00", revenue="160.00")
    add_leads(alice_org, noon(WEEK), 4, campaign=meta)
    report = build(alice_org, clock)
    changes = report.summary["changes"]
    assert changes["leads"] == {"direction": "new", "pct": None}
    assert changes["spend"] == {"direction": "new", "pct": None}
    assert changes["roi"] == {"direction": "new", "pct": None}
    cards = {c["key"]: c for c in display.headline_cards(report)}
    assert cards["leads"]["change"]["text"] == "new: none the previous week"


def test_it_computes_week_over_week_change(app, alice_org, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, PREV, spend="100.00", revenue="100.00")
    add_metric(meta, WEEK, spend="140.00", revenue="100.00")
    add_leads(alice_org, noon(PREV), 10, campaign=meta)
    add_leads(alice_org, noon(WEEK), 9, campaign=meta)
    report = build(alice_org, clock)
    changes = report.summary["changes"]
    assert changes["leads"] == {"direction": "down", "pct": -10.0}
    assert changes["spend"] == {"direction": "up", "pct": 40.0}
    assert changes["revenue"] == {"direction": "flat", "pct": 0.0}
    assert changes["roi"]["direction"] == "down"
    cards = {c["key"]: c for c in display.headline_cards(report)}
    assert cards["leads"]["change"]["tone"] == "bad"
    assert cards["spend"]["change"]["tone"] == "neutral"
    assert cards["leads"]["previous"] == "10"
    assert figures.change(Decimal("0"), Decimal("0")) == {"direction": "flat", "pct": 0.0}
    assert figures.change(None, Decimal("2")) == {"direction": "none", "pct": None}


def test_it_picks_the_top_channel_by_revenue_then_leads_then_name(app, alice_org, clock):
    google, meta, seo = (make_campaign(alice_org, c) for c in ("google_ads", "meta_ads", "seo"))
    add_metric(google, WEEK, spend="50.00", revenue="200.00")
    add_metric(meta, WEEK, spend="50.00", revenue="200.00")
    add_leads(alice_org, noon(WEEK), 2, campaign=google)
    add_leads(alice_org, noon(WEEK), 3, campaign=meta)
    add_leads(alice_org, noon(WEEK), 9, campaign=seo)  # most leads, but no revenue
    assert build(alice_org, clock).top_channel == "meta_ads"  # same revenue, more leads

    add_leads(alice_org, noon(WEEK), 1, campaign=google)  # now 3 each: the name decides
    assert build(alice_org, clock).top_channel == "google_ads"


def test_it_has_no_top_channel_without_revenue_or_leads(app, alice_org, clock):
    add_metric(make_campaign(alice_org, "google_ads"), WEEK, spend="30.00")
    add_leads(alice_org, noon(WEEK), 2)  # not linked to any campaign
    report = build(alice_org, clock)
    assert report.top_channel is None
    assert report.summary["unattributed_leads"] == 2


def test_it_keeps_per_channel_per_day_series_for_the_charts(app, alice_org, clock):
    meta, google = make_campaign(alice_org, "meta_ads"), make_campaign(alice_org, "google_ads")
    add_metric(meta, WEEK + timedelta(days=1), spend="12.50", revenue="40.00")
    add_metric(google, WEEK + timedelta(days=3), spend="20.00")
    add_leads(alice_org, noon(WEEK + timedelta(days=1)), 2, campaign=meta)
    add_leads(alice_org, noon(WEEK + timedelta(days=4)), 1)
    report = build(alice_org, clock)
    series = report.summary["series"]
    assert series["leads"]["meta_ads"] == [0, 2, 0, 0, 0, 0, 0]
    assert series["leads"]["other"] == [0, 0, 0, 0, 1, 0, 0]
    assert series["spend"]["google_ads"] == [
        "0.00",
        "0.00",
        "0.00",
        "20.00",
        "0.00",
        "0.00",
        "0.00",
    ]
    charts = display.chart_data(report)
    assert charts["day_labels"][0] == "Mon 16 Nov" and len(charts["days"]) == 7
    assert [s["label"] for s in charts["spend"]] == ["Meta ads", "Google Ads"]
    channels = {c["channel"]: c for c in report.summary["channels"]}
    assert channels["meta_ads"]["cost_per_lead"] == "6.25"
    assert channels["google_ads"]["cost_per_lead"] is None


def test_it_only_counts_its_own_workspace(app, alice_org, charlie, clock):
    from tests.conftest import org_of

    charlie_org = org_of(charlie)
    add_metric(make_campaign(charlie_org, "meta_ads"), WEEK, spend="500.00", revenue="900.00")
    add_leads(charlie_org, noon(WEEK), 7)
    report = build(alice_org, clock)
    assert (report.leads, report.spend, report.revenue) == (0, Decimal("0.00"), Decimal("0.00"))


# --- the stored report --------------------------------------------------------------------


def test_it_updates_the_same_row_when_regenerated(app, alice_org, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, WEEK, spend="10.00", revenue="20.00")
    first = build(alice_org, clock)
    add_metric(meta, WEEK + timedelta(days=2), spend="5.00", revenue="40.00")
    clock.advance(hours=1)
    second = build(alice_org, clock)
    assert second.id == first.id
    assert second.spend == Decimal("15.00") and second.revenue == Decimal("60.00")
    assert second.created_at == clock()
    count = db.session.scalar(
        select(func.count()).select_from(WeeklyReport).where(WeeklyReport.org_id == alice_org.id)
    )
    assert count == 1


def test_it_emails_each_owner_once_per_report(app, alice, alice_org, bob, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, WEEK, spend="10.00", revenue="20.00")
    report = build(alice_org, clock)
    assert email_report(
        db.session, alice_org, report, now=clock(), public_url="http://reports.test"
    ) == [alice.email]
    db.session.commit()

    report = build(alice_org, clock)  # regenerated: the record of who got it survives
    assert report.summary["emailed_to"] == [alice.email]
    assert (
        email_report(db.session, alice_org, report, now=clock(), public_url="http://reports.test")
        == []
    )
    db.session.commit()

    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.org_id == alice_org.id))
    assert mail.to == alice.email and mail.purpose == "weekly_report" and mail.channel == "email"
    assert mail.subject == "Your weekly marketing report: 16–22 Nov 2026"
    assert f"http://reports.test/reports/{report.id}" in mail.body_text
    assert f'href="http://reports.test/reports/{report.id}"' in mail.body_html
    assert "Meta ads" in mail.body_text and "$10.00" in mail.body_text
    # On the From's domain, and naming neither the report nor its owner.
    assert mail.message_id.endswith("@localhost>")
    assert f".{report.id}." not in mail.message_id and alice.email not in mail.message_id


def test_it_escapes_names_in_the_html_email(app, alice, alice_org, clock):
    alice_org.name = "<b>Bakes</b> & Co"
    report = build(alice_org, clock)
    email_report(db.session, alice_org, report, now=clock(), public_url="http://127.0.0.1:8000")
    mail = db.session.scalars(select(OutboxMessage)).one()
    assert "&lt;b&gt;Bakes&lt;/b&gt; &amp; Co" in mail.body_html
    assert "<b>Bakes</b> & Co" in mail.body_text  # plain text is not HTML


# --- the words ----------------------------------------------------------------------------


def _two_channel_week(org):
    meta, google = make_campaign(org, "meta_ads"), make_campaign(org, "google_ads")
    add_metric(meta, WEEK, spend="97.20", revenue="400.00")
    add_metric(google, WEEK, spend="248.00", revenue="100.00")
    add_leads(org, noon(WEEK), 12, campaign=meta)
    add_leads(org, noon(WEEK), 8, campaign=google)


def test_it_writes_insights_that_name_the_cheapest_channel(app, alice_org, clock):
    _two_channel_week(alice_org)
    report = build(alice_org, clock)
    assert report.written_by == f"builtin/{answers.BUILTIN_MODEL}"
    text = " ".join(report.insights)
    assert "Meta ads was the top channel" in text
    assert "12 of 20 leads at $8.10 per lead" in text
    assert "the cheapest channel per lead" in text
    assert "$8.10 (Meta ads) to $31.00 (Google Ads)" in text
    assert report.recommendations[0] == (
        "Move budget from Google Ads ($31.00 per lead) toward Meta ads ($8.10 per lead)."
    )
    assert report.summary["ai"] == {
        "provider": "builtin",
        "model": answers.BUILTIN_MODEL,
        "fallback_reason": None,
    }


def test_it_flags_spend_that_brought_no_leads(app, alice_org, clock):
    meta, google = make_campaign(alice_org, "meta_ads"), make_campaign(alice_org, "google_ads")
    add_metric(meta, WEEK, spend="50.00", revenue="120.00")
    add_metric(google, WEEK, spend="240.00")
    add_leads(alice_org, noon(WEEK), 5, campaign=meta)
    report = build(alice_org, clock)
    assert "Google Ads spent $240.00 and no lead in the inbox came from it." in report.insights
    assert any(
        r.startswith("Check the tracking of Google Ads or pause it") for r in report.recommendations
    )


def test_it_says_when_more_spend_brought_fewer_leads(app, alice_org, clock):
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, PREV, spend="100.00", revenue="300.00")
    add_metric(meta, WEEK, spend="140.00", revenue="300.00")
    add_leads(alice_org, noon(PREV), 10, campaign=meta)
    add_leads(alice_org, noon(WEEK), 9, campaign=meta)
    report = build(alice_org, clock)
    assert any(
        line.startswith("Spend rose 40% but leads fell 10% (10 → 9)") for line in report.insights
    )
    assert any(line.startswith("Hold budgets steady") for line in report.recommendations)


def test_it_says_what_to_do_with_an_empty_week(app, alice_org, clock):
    report = build(alice_org, clock)
    assert report.insights == [
        "No leads, spend or revenue were recorded for the week of Monday 16 Nov."
    ]
    assert (
        len(report.recommendations) == 1
        and "Import your ad platforms' daily results" in report.recommendations[0]
    )
    assert report.top_channel is None and report.roi is None


def test_builtin_insights_are_deterministic_and_fit_the_schema(app, alice_org, clock):
    _two_channel_week(alice_org)
    facts = reports.gather_facts(db.session, alice_org, None, clock())
    first, second = builtin_insights(facts), builtin_insights(facts)
    assert first == second
    validate(first, reports.INSIGHTS_SCHEMA)


# --- the AI path --------------------------------------------------------------------------


@pytest.fixture
def openai_on(app):
    server = FakeOpenAI().start()
    app.config.update(
        OPENAI_API_KEY="sk-test-reports",
        OPENAI_BASE_URL=server.base_url,
        OPENAI_MODEL="gpt-4o-mini",
        OPENAI_TIMEOUT_SECONDS=5,
    )
    try:
        yield server
    finally:
        server.stop()


def test_it_stores_the_model_s_insights(app, alice_org, clock, openai_on):
    _two_channel_week(alice_org)
    answer = {
        "insights": ["Meta ads carried the week with 12 leads."],
        "recommendations": ["Give Meta ads more of the Google Ads budget."],
    }
    openai_on.script(reply_json(answer))
    report = build(alice_org, clock)
    assert (
        report.insights == answer["insights"]
        and report.recommendations == answer["recommendations"]
    )
    assert report.written_by == "openai/gpt-4o-mini"
    [post] = openai_on.posts
    prompt = post.body["messages"][-1]["content"]
    assert '"top_channel": "meta_ads"' in prompt and '"series"' not in prompt
    [call] = db.session.scalars(select(AiCall).where(AiCall.purpose == "report_insights"))
    assert call.provider == "openai" and call.tokens_in == 100


def test_it_falls_back_to_the_builtin_writer_on_a_bad_answer(app, alice_org, clock, openai_on):
    _two_channel_week(alice_org)
    openai_on.script(reply_text("not json"), reply_json({"insights": []}))
    report = build(alice_org, clock)
    assert report.written_by == f"builtin/{answers.BUILTIN_MODEL}"
    assert "Meta ads was the top channel" in " ".join(report.insights)
    assert "did not match the expected format" in report.summary["ai"]["fallback_reason"]


def test_it_names_a_channel_that_loses_money_in_a_good_week(app, alice_org, clock):
    meta, google = make_campaign(alice_org, "meta_ads"), make_campaign(alice_org, "google_ads")
    add_metric(meta, WEEK, spend="100.00", revenue="900.00")
    add_metric(google, WEEK, spend="100.00", revenue="30.00")
    add_leads(alice_org, noon(WEEK), 10, campaign=meta)
    add_leads(alice_org, noon(WEEK), 4, campaign=google)
    report = build(alice_org, clock)
    assert (
        "Google Ads brought back only $0.30 per $1 spent: trim its budget or refresh its ads and offer."
        in report.recommendations
    )


# --- the demo -----------------------------------------------------------------------------


def test_the_demo_hook_fills_the_history_once(app, alice, alice_org, clock):
    from webapp.services.demo.reports import DEMO_WEEKS, add_demo_reports

    add_demo_reports(db.session, alice_org, clock())  # no results yet: nothing to report
    assert db.session.scalars(select(WeeklyReport)).all() == []

    meta = make_campaign(alice_org, "meta_ads")
    for back in range(DEMO_WEEKS):
        add_metric(meta, WEEK - timedelta(weeks=back), spend="20.00", revenue=f"{30 + back}.00")
    org_id = alice_org.id  # read now: no snapshot older than the jobs' writes stays open
    for _ in range(2):  # run twice: same rows, one email
        add_demo_reports(db.session, alice_org, clock())
        db.session.commit()
        send_report_emails(db.engine, owner="test", clock=clock, org_id=org_id)
    weeks = db.session.scalars(
        select(WeeklyReport.week_start).order_by(WeeklyReport.week_start)
    ).all()
    assert weeks == [WEEK - timedelta(weeks=back) for back in range(DEMO_WEEKS - 1, -1, -1)]
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert mail.to == alice.email and "16–22 Nov 2026" in mail.subject


def test_an_answer_is_read_through_the_insights_model():
    from webapp.core.json_schema import ai_schema
    from webapp.services.reporting.insights import InsightsAnswer, clean_insights

    assert reports.INSIGHTS_SCHEMA == ai_schema(InsightsAnswer)
    assert clean_insights(
        {"insights": ["  Leads  rose\n 10%. "], "recommendations": ["Keep going."], "x": 1}
    ) == {"insights": ["Leads rose 10%."], "recommendations": ["Keep going."]}
    assert clean_insights({"insights": [], "recommendations": ["Keep going."]}) is None
    assert clean_insights({"insights": ["   "], "recommendations": ["Keep going."]}) is None
    assert clean_insights(["not", "an", "object"]) is None
