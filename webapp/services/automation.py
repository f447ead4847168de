"""Sequence automation: enrolling contacts, the state of a campaign's jobs, retry and cancel.

The ONE code path shared by the 15-minute job, the automation tab's buttons and the API:

- `trigger_new_contacts` enrols the contacts created since a sequence was activated (or
  `since`) into each active "new contact" sequence, exactly once — the unique
  (campaign, lead, test_mode) key with ON CONFLICT DO NOTHING — and queues step 1.
  `enroll_lead` does the same for one contact the moment it is captured.
- `process_due` (webapp/services/dispatch.py, re-exported here) sends what is due.
- Each message is a Send row (unique per enrolment and step) plus one queue row, kind
  "sequence_step", idempotency key "enrollment:{id}:step:{id}": nothing is sent twice.

Enrolment is bulk (webapp/services/enrollment.py): three INSERT … SELECT statements
(enrolments, queue rows, sends), so 100,000 contacts take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.db_setup import begin_write
from webapp.models import Campaign, Lead, LeadEvent, Organization, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.activity import log_activity
from webapp.services.enrollment import bulk_enroll, first_job_ids
from webapp.services.errors import NotFound
from webapp.services.send_windows import next_allowed, schedule_zone
from webapp.services.sequences import activated_at, step_delay, steps_of

KIND = "sequence_step"
MAX_ATTEMPTS = 8  # retryable failures back off exponentially; 8 tries span hours
LOOKBACK_FOR_TESTS = timedelta(days=7)  # a test trigger on a never-activated sequence


@dataclass
class TriggerResult:
    enrolled: int = 0
    skipped: int = 0
    details: list[str] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)  # of the first steps queued (small runs only)


@dataclass
class ProcessResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    details: list[str] = field(default_factory=list)
    deferred: int = 0  # put back for later by pacing or an open circuit (not an attempt)
    batches: int = 0

    def add(self, other: ProcessResult) -> None:
        for name in ("sent", "failed", "retried", "cancelled", "deferred", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.details.extend(line for line in other.details if line not in self.details)


def idempotency_key(enrollment_id: int, step_id: int) -> str:
    return f"enrollment:{enrollment_id}:step:{step_id}"


def address_column(channel: str):  # noqa: ANN201
    return Lead.email if channel == "email" else Lead.phone


def _sequences(session: Session, org_id: int | None, campaign_id: int | None, test_mode: bool) -> list[Campaign]:
    query = select(Campaign).where(Campaign.kind == "sequence")
    if org_id is not None:
        query = query.where(Campaign.org_id == org_id)
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    if not test_mode:
        query = query.where(Campaign.status == "active")
    campaigns = session.scalars(query.order_by(Campaign.id)).all()
    return [c for c in campaigns if (c.settings or {}).get("trigger", "new_contact") == "new_contact"
            and (test_mode or not (c.settings or {}).get("finishing_at"))]


class _Planner:
    """Due times of a campaign's step for many contacts: one window computation per zone."""

    def __init__(self, campaign: Campaign, org: Organization, step: SequenceStep, base: datetime, *, immediate: bool) -> None:
        self.schedule = (campaign.settings or {}).get("schedule")
        self.org_timezone = org.timezone or "UTC"
        self.due = base if immediate else base + step_delay(step)
        self.immediate = immediate
        self._by_zone: dict[str, datetime] = {}

    def run_at(self, lead_timezone: str | None) -> datetime:
        if self.immediate:
            return self.due
        tz = schedule_zone(self.schedule, self.org_timezone, lead_timezone)
        if tz not in self._by_zone:
            self._by_zone[tz] = next_allowed(self.due, self.schedule, tz)
        return self._by_zone[tz]


def _dialect_insert(session: Session):  # noqa: ANN202
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _enroll_rows(session: Session, campaign: Campaign, first: SequenceStep, planner: _Planner,
                 leads: list, *, test_mode: bool, now: datetime) -> list[int]:
    """Enrol `leads` (rows with id, email, phone, timezone) and queue their first step.

    Contacts already enrolled are skipped by the unique key. Returns the new queue job ids.
    """
    if not leads:
        return []
    insert = _dialect_insert(session)
    enrolled = session.execute(
        insert(Enrollment.__table__).on_conflict_do_nothing(
            index_elements=["campaign_id", "lead_id", "test_mode"]
        ).returning(Enrollment.__table__.c.id, Enrollment.__table__.c.lead_id),
        [{"org_id": campaign.org_id, "campaign_id": campaign.id, "lead_id": lead.id, "status": "active",
          "test_mode": test_mode, "enrolled_at": now} for lead in leads],
    ).all()
    if not enrolled:
        return []
    by_lead = {lead.id: lead for lead in leads}
    plans = []
    for enrollment_id, lead_id in enrolled:
        lead = by_lead[lead_id]
        plans.append((enrollment_id, lead, planner.run_at(lead.timezone)))
    return _queue_step(session, campaign, first, plans, test_mode=test_mode, now=now)


def _queue_step(session: Session, campaign: Campaign, step: SequenceStep, plans: Iterable[tuple],
                *, test_mode: bool, now: datetime) -> list[int]:
    """Queue `step` for each (enrollment_id, lead, run_at): one queue row and one Send each."""
    insert = _dialect_insert(session)
    plans = list(plans)
    address = "email" if step.channel == "email" else "phone"
    job_rows = [{
        "kind": KIND, "idempotency_key": idempotency_key(enrollment_id, step.id),
        "payload": {"enrollment_id": enrollment_id, "step_id": step.id, "campaign_id": campaign.id},
        "run_at": run_at, "org_id": campaign.org_id, "max_attempts": MAX_ATTEMPTS, "test_mode": test_mode,
        "status": "pending", "attempts": 0, "created_at": now, "updated_at": now,
    } for enrollment_id, _lead, run_at in plans]
    table = QueuedJob.__table__
    created = session.execute(
        insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id, table.c.idempotency_key),
        job_rows,
    ).all()
    job_by_key = {key: job_id for job_id, key in created}
    send_rows = []
    for enrollment_id, lead, run_at in plans:
        job_id = job_by_key.get(idempotency_key(enrollment_id, step.id))
        if job_id is None:
            continue  # queued already by a concurrent run
        send_rows.append({
            "org_id": campaign.org_id, "campaign_id": campaign.id, "enrollment_id": enrollment_id,
            "step_id": step.id, "lead_id": lead.id, "queued_job_id": job_id, "channel": step.channel,
            "to": getattr(lead, address) or "", "status": "queued", "subject": "", "body_text": "",
            "due_at": run_at, "opens": 0, "clicks": 0, "test_mode": test_mode, "created_at": now,
        })
    if send_rows:
        session.execute(
            insert(Send.__table__).on_conflict_do_nothing(index_elements=["enrollment_id", "step_id"]), send_rows
        )
    return [row["queued_job_id"] for row in send_rows]


def _lead_columns():  # noqa: ANN202
    return (Lead.id, Lead.email, Lead.phone, Lead.timezone)


def _not_enrolled(campaign: Campaign, test_mode: bool):  # noqa: ANN202
    return ~exists().where(
        Enrollment.campaign_id == campaign.id, Enrollment.lead_id == Lead.id, Enrollment.test_mode.is_(test_mode)
    )


def trigger_new_contacts(session: Session, *, org_id: int | None, campaign_id: int | None = None,
                         test_mode: bool = False, now: datetime, since: datetime | None = None) -> TriggerResult:
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


def _trigger_one(session: Session, campaign: Campaign, result: TriggerResult, *, test_mode: bool,
                 now: datetime, since: datetime | None) -> None:
    steps = steps_of(session, campaign)
    if not steps:
        result.details.append(f"“{campaign.name}” has no steps yet; nothing to send.")
        return
    first = steps[0]
    start = since or activated_at(campaign) or (now - LOOKBACK_FOR_TESTS if test_mode else now)
    org = session.get(Organization, campaign.org_id)
    planner = _Planner(campaign, org, first, now, immediate=False)
    recent = [Lead.org_id == campaign.org_id, Lead.created_at >= start, Lead.created_at <= now]
    column = address_column(first.channel)
    reachable = [Lead.unsubscribed_at.is_(None), column.is_not(None), column != ""]
    enrolled = bulk_enroll(
        session, campaign, first, [*recent, *reachable, _not_enrolled(campaign, test_mode)],
        due_for_zone=planner.run_at, max_attempts=MAX_ATTEMPTS, kind=KIND, test_mode=test_mode, now=now,
    )
    if enrolled and len(result.job_ids) < 1000:
        result.job_ids.extend(first_job_ids(session, campaign, test_mode=test_mode, now=now,
                                            limit=1000 - len(result.job_ids)))
    skipped = session.scalar(
        select(func.count()).select_from(Lead)
        .where(*recent, or_(Lead.unsubscribed_at.is_not(None), column.is_(None), column == ""))
    ) or 0
    result.enrolled += enrolled
    result.skipped += skipped
    words = "test enrolment" if test_mode else "contact"
    line = f"“{campaign.name}”: {enrolled} new {words}{'s' if enrolled != 1 else ''} enrolled"
    if skipped:
        line += f", {skipped} skipped (unsubscribed or no {'email address' if first.channel == 'email' else 'phone number'})"
    result.details.append(line + ".")
    if enrolled:
        log_activity(
            session, campaign.org_id, "sequence.enrolled",
            f"{enrolled} {'test ' if test_mode else ''}contact{'s' if enrolled != 1 else ''} enrolled in "
            f"“{campaign.name}”; step 1 queued for {planner.run_at(None):%Y-%m-%d %H:%M} UTC or the next opening.",
            now=now, entity=("campaign", campaign.id),
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
        steps = steps_of(session, campaign)
        if not steps or not getattr(lead, "email" if steps[0].channel == "email" else "phone"):
            continue
        planner = _Planner(campaign, org, steps[0], now, immediate=False)
        joined += bool(_enroll_rows(session, campaign, steps[0], planner, [lead], test_mode=False, now=now))
    return joined


def send_immediate(session: Session, campaign: Campaign, lead_ids: list[int], *, test_mode: bool,
                   now: datetime, app=None) -> ProcessResult:  # noqa: ANN001
    """Enrol these contacts and send step 1 to them now, ignoring the send window for that
    first message (later steps keep to it).

    Commits: the enrolments first, then each message on its own as it is sent.
    Raises NotFound when a contact is not in the campaign's workspace.
    """
    from webapp.services.dispatch import process_due

    ids = sorted({int(i) for i in lead_ids})
    leads = session.execute(
        select(*_lead_columns(), Lead.unsubscribed_at).where(Lead.org_id == campaign.org_id, Lead.id.in_(ids))
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
            result.details.append(f"Contact {row.id} has no {'email address' if column == 'email' else 'phone number'}.")
        else:
            usable.append(row)
    begin_write(session)
    org = session.get(Organization, campaign.org_id)
    planner = _Planner(campaign, org, first, now, immediate=True)
    job_ids = _enroll_rows(session, campaign, first, planner, usable, test_mode=test_mode, now=now)
    if len(job_ids) < len(usable):
        result.details.append(f"{len(usable) - len(job_ids)} already enrolled; not sent again.")
    campaign_id = campaign.id
    session.commit()
    if job_ids:
        result.add(process_due(app, campaign_id=campaign_id, test_mode=test_mode, now=now, job_ids=job_ids))
    session.commit()  # end any read begun before the sends, so the caller sees them
    return result


# --- the state of a campaign's jobs --------------------------------------------------------------


@dataclass(frozen=True)
class AutomationStatus:
    total: int
    pending: int
    processing: int
    completed: int
    failed: int
    cancelled: int
    success_rate: float | None  # completed ÷ (completed + failed), None before any outcome
    backlog_eta: timedelta | None  # how long the pending messages take at the paced rate
    per_minute: float | None  # the pacing of the first step's channel (None = unpaced)
    due_now: int = 0  # pending and already due
    next_due_at: datetime | None = None
    test: int = 0  # of `total`, recorded as tests


def _job_status():  # noqa: ANN202
    """A Send's state in queue words: pending | processing | completed | failed | cancelled."""
    return case(
        (Send.status.in_(("sent", "delivered")), "completed"),
        (Send.status == "failed", "failed"),
        (Send.status == "cancelled", "cancelled"),
        (QueuedJob.status == "processing", "processing"),
        (QueuedJob.status == "failed", "failed"),
        (QueuedJob.status == "cancelled", "cancelled"),
        else_="pending",
    )


def automation_status(session: Session, campaign: Campaign, *, now: datetime) -> AutomationStatus:
    """Counts of the campaign's messages by state, the success rate and the backlog's ETA."""
    status = _job_status()
    rows = session.execute(
        select(status, func.count(), func.sum(case((Send.test_mode, 1), else_=0)))
        .select_from(Send).outerjoin(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .where(Send.campaign_id == campaign.id, Send.org_id == campaign.org_id).group_by(status)
    ).all()
    counts = dict.fromkeys(("pending", "processing", "completed", "failed", "cancelled"), 0)
    test = 0
    for name, count, tests in rows:
        counts[name] += count
        test += int(tests or 0)
    due = session.execute(
        select(func.count(), func.min(QueuedJob.run_at)).select_from(Send)
        .join(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .where(Send.campaign_id == campaign.id, Send.org_id == campaign.org_id, Send.status == "queued",
               QueuedJob.status == "pending")
    ).one()
    due_now = session.scalar(
        select(func.count()).select_from(Send).join(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .where(Send.campaign_id == campaign.id, Send.status == "queued", QueuedJob.status == "pending",
               QueuedJob.run_at <= now)
    ) or 0
    outcomes = counts["completed"] + counts["failed"]
    per_minute = _per_minute(campaign.channel)
    eta = None
    if per_minute:
        from webapp.integrations.resilience import backlog_eta

        eta = backlog_eta(due_now, per_minute)
    return AutomationStatus(
        total=sum(counts.values()), success_rate=(counts["completed"] / outcomes) if outcomes else None,
        backlog_eta=eta, per_minute=per_minute, due_now=due_now, next_due_at=due[1], test=test, **counts,
    )


def _per_minute(channel: str) -> float | None:
    from webapp.integrations.delivery import provider_for, rate_per_minute

    if channel not in ("email", "sms", "whatsapp"):
        return None
    try:
        if provider_for(channel) == "outbox":
            return None
    except RuntimeError:  # no app context: the deployment's defaults
        pass
    rate = rate_per_minute(channel)
    return rate or None


@dataclass(frozen=True)
class JobRow:
    job_id: int | None
    send_id: int
    contact_name: str
    contact_id: int
    step_position: int
    channel: str
    due_at: datetime
    status: str  # pending | processing | completed | failed | cancelled
    attempts: int
    error: str | None
    error_class: str | None
    test_mode: bool
    sent_at: datetime | None = None
    to: str = ""


STATUS_FILTERS = ("pending", "processing", "completed", "failed", "cancelled")


def recent_jobs(session: Session, campaign: Campaign, *, page: int = 1, per_page: int = 25,
                status: str | None = None) -> tuple[list[JobRow], bool]:
    """The campaign's messages, newest first (one page). Returns (rows, has_more)."""
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 25), 1), 200)
    state = _job_status()
    query = (
        select(Send, QueuedJob.id, QueuedJob.attempts, QueuedJob.last_error, QueuedJob.error_class, state,
               Lead.full_name, Lead.email, Lead.phone, SequenceStep.position)
        .select_from(Send)
        .outerjoin(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .join(Lead, Lead.id == Send.lead_id)
        .join(SequenceStep, SequenceStep.id == Send.step_id)
        .where(Send.campaign_id == campaign.id, Send.org_id == campaign.org_id)
    )
    if status in STATUS_FILTERS:
        query = query.where(state == status)
    rows = session.execute(
        query.order_by(Send.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    out = []
    for send, job_id, attempts, last_error, job_class, job_state, name, email, phone, position in rows[:per_page]:
        out.append(JobRow(
            job_id=job_id, send_id=send.id, contact_name=name or email or phone or f"Contact {send.lead_id}",
            contact_id=send.lead_id, step_position=position, channel=send.channel, due_at=send.due_at,
            status=job_state, attempts=attempts or 0,
            error=send.error or (last_error if job_state != "completed" else None),
            error_class=send.error_class or (job_class if job_state != "completed" else None),
            test_mode=send.test_mode, sent_at=send.sent_at, to=send.to,
        ))
    return out, len(rows) > per_page


def _send_of_job(session: Session, campaign: Campaign, job_id: int) -> Send | None:
    return session.scalars(
        select(Send).where(Send.queued_job_id == job_id, Send.campaign_id == campaign.id,
                           Send.org_id == campaign.org_id)
    ).one_or_none()


def retry_job(session: Session, campaign: Campaign, job_id: int, *, now: datetime, actor_id: int | None) -> bool:
    """Send a failed message again (fresh attempts, due now). False if it was not failed."""
    send = _send_of_job(session, campaign, job_id)
    if send is None or not queue.retry(session, job_id, now=now, org_id=campaign.org_id):
        return False
    send.status, send.error, send.error_class = "queued", None, None
    session.execute(
        update(Enrollment).where(Enrollment.id == send.enrollment_id, Enrollment.status == "stopped")
        .values(status="active", stopped_reason=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    log_activity(session, campaign.org_id, "sequence.job_retried",
                 f"Message {send.id} of “{campaign.name}” to {send.to or 'the contact'} queued again.",
                 now=now, entity=("campaign", campaign.id), actor_id=actor_id, details={"job_id": job_id})
    return True


def cancel_job(session: Session, campaign: Campaign, job_id: int, *, now: datetime, actor_id: int | None,
               reason: str) -> bool:
    """Cancel a pending message; the contact's sequence stops there. False if not pending."""
    reason = (reason or "Cancelled by a person.").strip()[:500]
    send = _send_of_job(session, campaign, job_id)
    if send is None or not queue.cancel(session, job_id, now=now, reason=reason, org_id=campaign.org_id):
        return False
    send.status, send.error, send.error_class = "cancelled", reason, "CANCELLED"
    session.execute(
        update(Enrollment).where(Enrollment.id == send.enrollment_id, Enrollment.status == "active")
        .values(status="stopped", stopped_reason=reason, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    log_activity(session, campaign.org_id, "sequence.job_cancelled",
                 f"Message {send.id} of “{campaign.name}” to {send.to or 'the contact'} cancelled: {reason}",
                 now=now, entity=("campaign", campaign.id), actor_id=actor_id, details={"job_id": job_id})
    return True


def cancel_step_jobs(session: Session, step: SequenceStep, *, now: datetime, reason: str) -> int:
    """Cancel the pending messages of one step (before it is deleted). Returns how many."""
    pending = select(Send.queued_job_id).where(Send.step_id == step.id, Send.status == "queued")
    cancelled = queue.cancel_where(session, QueuedJob.id.in_(pending), QueuedJob.org_id == step.org_id,
                                   now=now, reason=reason)
    session.execute(
        update(Send).where(Send.step_id == step.id, Send.status == "queued")
        .values(status="cancelled", error=reason, error_class="CANCELLED")
        .execution_options(synchronize_session=False)
    )
    return cancelled


def pending_jobs(session: Session, *conditions) -> int:  # noqa: ANN002
    """Sequence messages still to send (pending or processing)."""
    return session.scalar(
        select(func.count()).select_from(QueuedJob)
        .where(QueuedJob.kind == KIND, QueuedJob.status.in_(("pending", "processing")), *conditions)
    ) or 0


def summary(session: Session, *, now: datetime, org_id: int | None = None) -> dict:
    """Totals of the sequence queue (for the external cron's summary endpoint)."""
    conditions = [QueuedJob.kind == KIND]
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    counts = queue.counts(session, *conditions)
    due = session.scalar(
        select(func.count()).select_from(QueuedJob)
        .where(*conditions, QueuedJob.status == "pending", QueuedJob.run_at <= now)
    ) or 0
    active = session.scalar(
        select(func.count()).select_from(Campaign).where(
            Campaign.kind == "sequence", Campaign.status == "active",
            *([Campaign.org_id == org_id] if org_id is not None else []),
        )
    ) or 0
    enrollments = session.scalar(
        select(func.count()).select_from(Enrollment).where(
            Enrollment.status == "active", *([Enrollment.org_id == org_id] if org_id is not None else [])
        )
    ) or 0
    oldest = queue.oldest_pending_due(session, *conditions)
    return {
        "jobs": counts, "due_now": due, "active_sequences": active, "active_enrollments": enrollments,
        "oldest_pending_due": oldest.isoformat() if oldest else None,
    }


def complete_finished(session: Session, *, org_id: int | None, now: datetime) -> int:
    """Complete the finishing sequences whose last message went out. Returns how many."""
    query = select(Campaign).where(Campaign.kind == "sequence", Campaign.status == "active")
    if org_id is not None:
        query = query.where(Campaign.org_id == org_id)
    done = 0
    for campaign in session.scalars(query):
        if (campaign.settings or {}).get("finishing_at") and not has_remaining_jobs(session, campaign):
            campaign.status, campaign.updated_at = "completed", now
            log_activity(session, campaign.org_id, "sequence.completed",
                         f"Sequence “{campaign.name}” completed: its last message was sent.",
                         now=now, entity=("campaign", campaign.id))
            done += 1
    session.flush()
    return done


def has_remaining_jobs(session: Session, campaign: Campaign) -> bool:
    """Whether any message of the campaign is still to send (a campaign is never
    "completed" while this is true)."""
    return bool(session.scalar(
        select(func.count()).select_from(Send).join(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .where(Send.campaign_id == campaign.id, and_(QueuedJob.status.in_(("pending", "processing"))))
    ))


def process_due(app_or_engine=None, **kwargs) -> ProcessResult:  # noqa: ANN001, ANN003
    """Send what is due (see webapp/services/dispatch.py, the sending half)."""
    from webapp.services.dispatch import process_due as dispatch_due

    return dispatch_due(app_or_engine, **kwargs)


# --- delivery reports (Twilio status callbacks) ------------------------------------------------
# Minimal version written by the delivery helper (E1) for the /webhooks/twilio/status route.

DELIVERED_STATES = frozenset({"delivered", "read"})
UNDELIVERED_STATES = frozenset({"failed", "undelivered"})


def record_delivery_status(session: Session, send_id: int, status: str, error_code: str | None, now: datetime, *,
                           provider_message_id: str | None = None) -> bool | None:
    """Apply a provider's delivery report to a send. Flushes.

    Returns None when there is no such send, False when the report was ignored (another
    message's SID, an intermediate status, or a send already settled), True when applied.
    """
    send = session.get(Send, send_id)
    if send is None:
        return None
    if provider_message_id and send.provider_message_id and provider_message_id != send.provider_message_id:
        return False
    status = (status or "").strip().lower()
    if send.status not in ("queued", "sent"):
        return False
    if status in DELIVERED_STATES:
        send.status = "delivered"
        send.delivered_at = now
    elif status in UNDELIVERED_STATES:
        send.status = "failed"
        send.error = f"The provider reported the message {status}" + (f" (error {error_code})." if error_code else ".")
        send.error_class = "UNDELIVERED"
        session.add(LeadEvent(
            org_id=send.org_id, lead_id=send.lead_id, type="message_undelivered",
            description=send.error, details={"send_id": send.id, "error_code": error_code}, created_at=now,
        ))
    else:
        return False
    if provider_message_id and not send.provider_message_id:
        send.provider_message_id = provider_message_id
    session.flush()
    return True

__all__ = [
    "KIND", "AutomationStatus", "JobRow", "ProcessResult", "TriggerResult", "automation_status", "cancel_job",
    "enroll_lead", "process_due", "recent_jobs", "retry_job", "send_immediate", "summary", "trigger_new_contacts",
]
