"""The scheduled segments jobs: hourly for time windows, nightly repair; each reports what
it changed in its run row."""

from __future__ import annotations

from sqlalchemy import select

from jobs.runner import run_job
from jobs.schedule import registry
from tests.conftest import START
from tests.segments.factories import all_of, days, make_lead, make_segment, record_event, rule
from webapp.core.extensions import db
from webapp.models import JobRun, Segment


def _summary(job: str) -> dict:
    return db.session.scalars(
        select(JobRun.summary).where(JobRun.job == job).order_by(JobRun.id.desc())
    ).first()


def test_it_schedules_both_jobs():
    specs = registry()
    assert specs["segments_hourly"].schedule.minutes == 60
    assert specs["segments_nightly"].per_org


def test_the_hourly_job_lets_a_closed_window_go(app, clock, alice_org):
    org = alice_org.id
    ana = make_lead(org, "Ana")
    recent = make_segment(
        org, "Recent", all_of(rule("event", "at_least", 1, event="order.placed", days=7))
    )
    static = make_segment(org, "Everyone new", all_of(rule("status", "equals", "new")))
    record_event(org, ana.id, "order.placed", START)
    db.session.commit()
    clock.set(START + days(8))

    assert run_job(app, "segments_hourly").status == "succeeded"

    summary = _summary("segments_hourly")
    assert summary["segments"] == 1  # only the time-relative one
    assert summary["changed"] == [{"segment_id": recent.id, "entered": 0, "exited": 1}]
    db.session.expire_all()
    assert db.session.get(Segment, recent.id).member_count == 0
    assert db.session.get(Segment, static.id).member_count == 1


def test_the_nightly_job_repairs_drift_in_every_segment(app, clock, alice_org):
    org = alice_org.id
    make_segment(org, "Won", all_of(rule("status", "equals", "won")))
    make_lead(org, "Ana", status="won")  # stored without a signal: drift
    db.session.commit()

    assert run_job(app, "segments_nightly").status == "succeeded"

    summary = _summary("segments_nightly")
    assert (summary["segments"], summary["entered"], summary["exited"]) == (1, 1, 0)
