"""The inbox leads of a day are counted by the database (issue 17): each lead still falls on
its local day in the workspace's zone, across midnight and the clock changes, and the
dashboard's charts read once give the same weeks as reading each week alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Campaign, Lead
from webapp.services import metrics
from webapp.services.autopilot.dashboard import dashboard_summary, dashboard_trend


def _campaign(org) -> Campaign:
    row = Campaign(org_id=org.id, name="Ads", channel="google_ads", kind="auto",
                   created_at=START, updated_at=START)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row


def _lead(org, at: datetime, campaign=None, source="form") -> None:
    db.session.add(Lead(org_id=org.id, full_name="Lee", source=source, created_at=at,
                        updated_at=at, campaign_id=campaign.id if campaign else None))  # fmt: skip


def _expected(moments, zone, first, last) -> dict[date, int]:
    out: dict[date, int] = {}
    for moment in moments:
        day = moment.astimezone(ZoneInfo(zone)).date()
        if first <= day <= last:
            out[day] = out.get(day, 0) + 1
    return out


def test_leads_fall_on_their_local_day_across_midnight_and_clock_changes(app, alice_org):
    zone = "Europe/London"  # clocks go back at 02:00 on 25 Oct 2026, forward on 29 Mar
    alice_org.timezone = zone
    ads = _campaign(alice_org)
    local = ZoneInfo(zone)
    moments = []
    for day in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 24), date(2026, 10, 25)):
        for hh, mm in ((0, 0), (0, 30), (1, 0), (1, 59), (2, 30), (23, 0), (23, 59)):
            moment = datetime(day.year, day.month, day.day, hh, mm, tzinfo=local)
            moments += [moment.astimezone(UTC), (moment - timedelta(seconds=1)).astimezone(UTC)]
    for i, moment in enumerate(moments):
        _lead(alice_org, moment, ads if i % 2 else None, "google_ads" if i % 3 else "form")
    db.session.commit()
    for first, last in ((date(2026, 3, 28), date(2026, 3, 30)),
                        (date(2026, 10, 24), date(2026, 10, 26)),
                        (date(2026, 10, 25), date(2026, 10, 25))):  # fmt: skip
        rows = metrics.day_rows(db.session, alice_org.id, zone, first, last)
        got: dict[date, int] = {}
        for row in rows:
            got[row.day] = got.get(row.day, 0) + row.result.leads
        assert got == _expected(moments, zone, first, last)
        linked = {r.day: r.result.leads for r in rows if r.campaign_id == ads.id}
        assert linked == _expected(moments[1::2], zone, first, last)


def test_leads_after_until_are_left_out(app, alice_org):
    alice_org.timezone = "UTC"
    at = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    _lead(alice_org, at - timedelta(minutes=1))
    _lead(alice_org, at + timedelta(minutes=1))
    db.session.commit()
    rows = metrics.day_rows(db.session, alice_org.id, "UTC", at.date(), at.date(), until=at)
    assert sum(r.result.leads for r in rows) == 1


def test_the_charts_read_once_equal_each_week_read_alone(app, alice_org):
    alice_org.timezone = "America/New_York"
    ads = _campaign(alice_org)
    now = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
    for n in range(0, 60 * 24, 7):  # a lead every 7 hours over 60 days, some linked
        _lead(alice_org, now - timedelta(hours=n), ads if n % 2 else None, "email")
    db.session.commit()
    trend = dashboard_trend(db.session, alice_org, now)
    today = now.astimezone(ZoneInfo("America/New_York")).date()
    for i, monday in enumerate(trend.weeks):
        last = min(monday + timedelta(days=6), today)
        week = metrics.totals(metrics.period(db.session, alice_org, monday, last, until=now))
        assert trend.leads[i] == week.leads
    assert sum(trend.leads) > 0
    with_trend = dashboard_summary(db.session, alice_org, now, trend)
    assert with_trend == dashboard_summary(db.session, alice_org, now)
