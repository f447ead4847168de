"""The "sequence_step" job kind: its name, retry policy and idempotency key, and queuing a
step for enrolments (one queue row plus one Send each).

Each message of a sequence is a Send row (unique per enrolment and step) plus one queue row,
kind "sequence_step", idempotency key "enrollment:{id}:step:{id}": nothing is sent twice.
The triggers (messaging/triggering.py) queue step 1 here; the dispatcher
(messaging/dispatch.py) queues the following steps as it acknowledges each message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.db import dialect_insert
from webapp.models import Campaign, Lead, Organization
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.messaging.send_windows import next_allowed, schedule_zone
from webapp.services.messaging.sequences import step_delay

KIND = "sequence_step"
MAX_ATTEMPTS = 8  # retryable failures back off exponentially; 8 tries span hours


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


def address_column(channel: str):
    return Lead.email if channel == "email" else Lead.phone


class StepPlanner:
    """Due times of a campaign's step for many contacts: one window computation per zone."""

    def __init__(
        self,
        campaign: Campaign,
        org: Organization,
        step: SequenceStep,
        base: datetime,
        *,
        immediate: bool,
    ) -> None:
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


def enroll_rows(
    session: Session,
    campaign: Campaign,
    first: SequenceStep,
    planner: StepPlanner,
    leads: list,
    *,
    test_mode: bool,
    now: datetime,
) -> list[int]:
    """Enrol `leads` (rows with id, email, phone, timezone) and queue their first step.

    Contacts already enrolled are skipped by the unique key. Returns the new queue job ids.
    """
    if not leads:
        return []
    insert = dialect_insert(session)
    enrolled = session.execute(
        insert(Enrollment.__table__)
        .on_conflict_do_nothing(index_elements=["campaign_id", "lead_id", "test_mode"])
        .returning(Enrollment.__table__.c.id, Enrollment.__table__.c.lead_id),
        [
            {
                "org_id": campaign.org_id,
                "campaign_id": campaign.id,
                "lead_id": lead.id,
                "status": "active",
                "test_mode": test_mode,
                "enrolled_at": now,
            }
            for lead in leads
        ],
    ).all()
    if not enrolled:
        return []
    by_lead = {lead.id: lead for lead in leads}
    plans = []
    for enrollment_id, lead_id in enrolled:
        lead = by_lead[lead_id]
        plans.append((enrollment_id, lead, planner.run_at(lead.timezone)))
    return queue_step(session, campaign, first, plans, test_mode=test_mode, now=now)


def queue_step(
    session: Session,
    campaign: Campaign,
    step: SequenceStep,
    plans: Iterable[tuple],
    *,
    test_mode: bool,
    now: datetime,
) -> list[int]:
    """Queue `step` for each (enrollment_id, lead, run_at): one queue row and one Send each."""
    plans = list(plans)
    job_by_key = queue.enqueue_rows(
        session,
        (
            queue.NewJob(
                kind=KIND,
                idempotency_key=idempotency_key(enrollment_id, step.id),
                payload={
                    "enrollment_id": enrollment_id,
                    "step_id": step.id,
                    "campaign_id": campaign.id,
                },
                run_at=run_at,
                org_id=campaign.org_id,
                max_attempts=MAX_ATTEMPTS,
                test_mode=test_mode,
            )
            for enrollment_id, _lead, run_at in plans
        ),
        now=now,
    )
    send_rows = _send_rows(campaign, step, plans, job_by_key, test_mode=test_mode, now=now)
    if send_rows:
        session.execute(
            dialect_insert(session)(Send.__table__).on_conflict_do_nothing(
                index_elements=["enrollment_id", "step_id"]
            ),
            send_rows,
        )
    return [row["queued_job_id"] for row in send_rows]


def _send_rows(
    campaign: Campaign,
    step: SequenceStep,
    plans: list[tuple],
    job_by_key: dict[str, int],
    *,
    test_mode: bool,
    now: datetime,
) -> list[dict]:
    """The Send rows of the plans whose queue row this call created."""
    address = "email" if step.channel == "email" else "phone"
    rows = []
    for enrollment_id, lead, run_at in plans:
        job_id = job_by_key.get(idempotency_key(enrollment_id, step.id))
        if job_id is None:
            continue  # queued already by a concurrent run
        rows.append(
            {
                "org_id": campaign.org_id,
                "campaign_id": campaign.id,
                "enrollment_id": enrollment_id,
                "step_id": step.id,
                "lead_id": lead.id,
                "queued_job_id": job_id,
                "channel": step.channel,
                "to": getattr(lead, address) or "",
                "status": "queued",
                "subject": "",
                "body_text": "",
                "due_at": run_at,
                "opens": 0,
                "clicks": 0,
                "test_mode": test_mode,
                "created_at": now,
            }
        )
    return rows
