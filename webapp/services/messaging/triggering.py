"""Enrolling contacts into sequences: the triggers shared by the 15-minute job, the
automation tab's buttons and the API.

- `trigger_new_contacts` enrols the contacts created since a sequence was activated (or
  `since`) into each active "new contact" sequence, exactly once — the unique
  (campaign, lead, test_mode) key with ON CONFLICT DO NOTHING — and queues step 1.
  `enroll_lead` does the same for one contact the moment it is captured.
- `send_immediate` enrols chosen contacts and sends step 1 to them now.

Enrolment is bulk (messaging/enrollment.py): three INSERT … SELECT statements
(enrolments, queue rows, sends), so 100,000 contacts take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, not_, select
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.core.errors import NotFound
from webapp.models import Campaign, Lead, Organization
from webapp.models.sequence import Enrollment, SequenceStep
from webapp.services.activity import log_activity
from webapp.services.messaging.enrollment import bulk_enroll, first_job_ids
from webapp.services.messaging.reach import entry_points, first_receivable, reaches_any
from webapp.services.messaging.sequence_lifecycle import activated_at
from webapp.services.messaging.sequences import steps_of
from webapp.services.messaging.step_jobs import (
    KIND,
    MAX_ATTEMPTS,
    ProcessResult,
    StepPlanner,
    enroll_rows,
)

LOOKBACK_FOR_TESTS = timedelta(days=7)  # a test trigger on a never-activated sequence


@dataclass
class TriggerResult:
    enrolled: int = 0
    skipped: int = 0
    details: list[str] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)  # of the first steps queued (small runs only)


def _sequences(
    session: Session, org_id: int | None, campaign_id: int | None, test_mode: bool
) -> list[Campaign]:
    query = select(Campaign).where(Campaign.kind == "sequence")
    if org_id is not None:
        query = query.where(Campaign.org_id == org_id)
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    if not test_mode:
        query = query.where(Campaign.status == "active")
    campaigns = session.scalars(query.order_by(Campaign.id)).all()
    return [
        c
        for c in campaigns
        if (c.settings or {}).get("trigger", "new_contact") == "new_contact"
        and (test_mode or not (c.settings or {}).get("finishing_at"))
    ]


def _lead_columns():
    return (Lead.id, Lead.email, Lead.phone, Lead.timezone)


def _not_enrolled(campaign: Campaign, test_mode: bool):
    return ~exists().where(
        Enrollment.campaign_id == campaign.id,
        Enrollment.lead_id == Lead.id,
        Enrollment.test_mode.is_(test_mode),
    )


def trigger_new_contacts(
    session: Session,
    *,
    org_id: int | None,
    campaign_id: int | None = None,
    test_mode: bool = False,
    now: datetime,
    since: datetime | None = None,
) -> TriggerResult:
    """Enrol new contacts into active "new contact" sequences (every workspace when
    `org_id` is None) and queue their first step. Never enrols anyone twice.

    New means created since the sequence was activated, or since `since`. A test run (test
    mode) also works on a sequence not active yet, looking back 7 days, and its messages
    are recorded as tests. Flushes; the caller commits.
    """
    begin_write(session)
    result = TriggerResult()
    for campaign in _sequences(session, org_id, campaign_id, test_mode):
        _trigger_one(session, campaign, result, test_mode=test_mode, now=now, since=since)
    if campaign_id is not None and not result.details:
        result.details.append("This sequence is not active: activate it, or use a test run.")
    return result


def _trigger_one(
    session: Session,
    campaign: Campaign,
    result: TriggerResult,
    *,
    test_mode: bool,
    now: datetime,
    since: datetime | None,
) -> None:
    steps = steps_of(session, campaign)
    if not steps:
        result.details.append(f"“{campaign.name}” has no steps yet; nothing to send.")
        return
    start = since or activated_at(campaign) or (now - LOOKBACK_FOR_TESTS if test_mode else now)
    org = session.get(Organization, campaign.org_id)
    recent = [Lead.org_id == campaign.org_id, Lead.created_at >= start, Lead.created_at <= now]
    enrolled = 0
    # Each contact enters at the first step it can receive: one set-based run per entry step.
    for step, entry in entry_points(steps):
        planner = StepPlanner(campaign, org, step, now, immediate=False)
        enrolled += bulk_enroll(
            session,
            campaign,
            step,
            [*recent, entry, _not_enrolled(campaign, test_mode)],
            due_for_zone=planner.run_at,
            max_attempts=MAX_ATTEMPTS,
            kind=KIND,
            test_mode=test_mode,
            now=now,
            entry=entry,
        )
    if enrolled and len(result.job_ids) < 1000:
        result.job_ids.extend(
            first_job_ids(
                session, campaign, test_mode=test_mode, now=now, limit=1000 - len(result.job_ids)
            )
        )
    skipped = (
        session.scalar(
            select(func.count()).select_from(Lead).where(*recent, not_(reaches_any(steps)))
        )
        or 0
    )
    first = steps[0]
    planner = StepPlanner(campaign, org, first, now, immediate=False)
    _report(session, campaign, first, planner, result, enrolled, skipped, test_mode, now)


def _report(
    session: Session,
    campaign: Campaign,
    first: SequenceStep,
    planner: StepPlanner,
    result: TriggerResult,
    enrolled: int,
    skipped: int,
    test_mode: bool,
    now: datetime,
) -> None:
    """Add one sequence's run to the result, and its activity row when anyone was enrolled."""
    result.enrolled += enrolled
    result.skipped += skipped
    words = "test enrolment" if test_mode else "contact"
    line = f"“{campaign.name}”: {enrolled} new {words}{'s' if enrolled != 1 else ''} enrolled"
    if skipped:
        line += f", {skipped} skipped (unsubscribed, opted out, or no address for any step)"
    result.details.append(line + ".")
    if enrolled:
        log_activity(
            session,
            campaign.org_id,
            "sequence.enrolled",
            f"{enrolled} {'test ' if test_mode else ''}contact{'s' if enrolled != 1 else ''} enrolled in "
            f"“{campaign.name}”; step 1 queued for {planner.run_at(None):%Y-%m-%d %H:%M} UTC or the next opening.",
            now=now,
            entity=("campaign", campaign.id),
            details={"enrolled": enrolled, "skipped": skipped, "test_mode": test_mode},
        )


def enroll_lead(session: Session, lead: Lead, *, now: datetime) -> int:
    """Enrol a just-captured contact into the workspace's active "new contact" sequences.

    Cheap when there are none (one query). Returns how many sequences it joined.
    """
    if lead.unsubscribed_at is not None:
        return 0
    campaigns = _sequences(session, lead.org_id, None, False)
    if not campaigns:
        return 0
    org = session.get(Organization, lead.org_id)
    joined = 0
    for campaign in campaigns:
        entry = first_receivable(steps_of(session, campaign), lead)
        if entry is None:
            continue
        planner = StepPlanner(campaign, org, entry, now, immediate=False)
        joined += bool(
            enroll_rows(session, campaign, entry, planner, [lead], test_mode=False, now=now)
        )
    return joined


def send_immediate(
    session: Session,
    campaign: Campaign,
    lead_ids: list[int],
    *,
    test_mode: bool,
    now: datetime,
    app=None,
) -> ProcessResult:
    """Enrol these contacts and send step 1 to them now, ignoring the send window for that
    first message (later steps keep to it).

    Commits: the enrolments first, then each message on its own as it is sent.
    Raises NotFound when a contact is not in the campaign's workspace.
    """
    from webapp.services.messaging.dispatch import process_due

    ids = sorted({int(i) for i in lead_ids})
    leads = session.execute(
        select(*_lead_columns(), Lead.unsubscribed_at).where(
            Lead.org_id == campaign.org_id, Lead.id.in_(ids)
        )
    ).all()
    missing = sorted(set(ids) - {row.id for row in leads})
    if missing:
        raise NotFound(f"No contact {missing[0]} in this workspace.")
    result = ProcessResult()
    steps = steps_of(session, campaign)
    if not steps:
        result.details.append("This sequence has no steps yet.")
        return result
    first = steps[0]
    column = "email" if first.channel == "email" else "phone"
    usable = []
    for row in leads:
        if row.unsubscribed_at is not None:
            result.details.append(f"Contact {row.id} unsubscribed; not sent.")
        elif not getattr(row, column):
            result.details.append(
                f"Contact {row.id} has no {'email address' if column == 'email' else 'phone number'}."
            )
        else:
            usable.append(row)
    begin_write(session)
    org = session.get(Organization, campaign.org_id)
    planner = StepPlanner(campaign, org, first, now, immediate=True)
    job_ids = enroll_rows(session, campaign, first, planner, usable, test_mode=test_mode, now=now)
    if len(job_ids) < len(usable):
        result.details.append(f"{len(usable) - len(job_ids)} already enrolled; not sent again.")
    campaign_id = campaign.id
    session.commit()
    if job_ids:
        result.add(
            process_due(app, campaign_id=campaign_id, test_mode=test_mode, now=now, job_ids=job_ids)
        )
    session.commit()  # end any read begun before the sends, so the caller sees them
    return result
