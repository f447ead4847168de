"""The analytics job through the real runner: a report is computed once for its period
after its local send hour and emailed to each recipient once, with its charts inline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from jobs.runner import run_job
from tests.analytics.factories import AFTER, DAY, make_report, seed_shop
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from webapp.core.extensions import db
from webapp.models import AnalyticsReportRun, OutboxMessage

smtp_sink = smtp_server.smtp_sink  # the fixture


def outbox_to(org_id: int) -> list[str]:
    db.session.commit()  # a new snapshot: the job wrote on its own connection
    return sorted(
        db.session.scalars(
            select(OutboxMessage.to).where(
                OutboxMessage.org_id == org_id, OutboxMessage.purpose == "analytics_report"
            )
        )
    )


def runs() -> list[AnalyticsReportRun]:
    db.session.commit()
    return list(db.session.scalars(select(AnalyticsReportRun).order_by(AnalyticsReportRun.period)))


def test_a_daily_report_waits_for_its_hour_then_runs_once(app, alice_org, clock):
    seed_shop(alice_org)
    report = make_report(alice_org)
    db.session.commit()
    clock.set(AFTER.replace(hour=5))  # 06:00 in Berlin: before the send hour
    outcome = run_job(app, "analytics_reports")
    assert outcome.status == "succeeded", outcome.message
    assert runs() == [] and outbox_to(alice_org.id) == []
    clock.set(AFTER)  # 09:00 in Berlin
    outcome = run_job(app, "analytics_reports")
    assert outcome.status == "succeeded", outcome.message
    clock.set(AFTER + timedelta(hours=1))  # a later hour of the same day: nothing new
    outcome = run_job(app, "analytics_reports")
    assert outcome.status == "succeeded", outcome.message
    (run,) = runs()
    assert run.period == DAY.isoformat() and run.report_id == report.id
    assert run.figures["totals"]["revenue"] == 125.5
    assert run.emailed_to == ["owner@shop.example", "team@shop.example"]
    assert outbox_to(alice_org.id) == ["owner@shop.example", "team@shop.example"]
    clock.set(AFTER + timedelta(days=1))  # the next day: the next period
    outcome = run_job(app, "analytics_reports")
    assert outcome.status == "succeeded", outcome.message
    assert [r.period for r in runs()] == [DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()]
    assert len(outbox_to(alice_org.id)) == 4


def test_the_email_carries_the_figures_and_the_charts_as_inline_pngs(
    app, alice_org, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    seed_shop(alice_org)
    make_report(alice_org, recipients=["owner@shop.example"])
    db.session.commit()
    clock.set(AFTER)
    outcome = run_job(app, "analytics_reports")
    assert outcome.status == "succeeded", outcome.message
    assert smtp_sink.wait_for(1)
    message = smtp_sink.messages[0].message
    assert message.get_content_type() == "multipart/related"
    assert message["Subject"] == "Daily sales: Tue 24 Nov 2026"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Revenue: $125.50 (+25.5% vs previous; before: $100.00)" in text
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 3  # date, product category, channel
    for image in images:
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AnalyticsReportRun)) == 1


def test_a_period_already_claimed_is_not_computed_again(app, alice_org):
    from webapp.services import analytics
    from webapp.services.analytics.periods import period_containing

    report = make_report(alice_org)
    period = period_containing("daily", DAY)
    first = analytics.generate_run(db.session, report, "Europe/Berlin", period, now=AFTER)
    again = analytics.generate_run(db.session, report, "Europe/Berlin", period, now=AFTER)
    assert first is not None and again is None
    assert list(analytics.due_reports(db.session, AFTER)) == []
