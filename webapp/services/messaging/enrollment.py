"""Bulk enrolment for `triggering.trigger_new_contacts`: three INSERT … SELECT statements.

Enrolling 100,000 contacts must take seconds, so nothing passes through Python per
contact: the database copies the new contacts into `enrollments` (the unique key with ON
CONFLICT DO NOTHING makes a second run, or a concurrent one, add nothing), then queues
step 1 for the enrolments of this run that have no send yet (through the work engine,
`queue.enqueue_from_select`), then writes their sends. The
due time depends on the contact's zone only, so it is computed in Python once per distinct
zone and passed as a CASE. The same statements run on SQLite and PostgreSQL; only the
JSON function differs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.db import dialect_insert
from webapp.models import Campaign, Lead, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.models.types import UTCDateTime


def _at(value: datetime) -> ColumnElement:
    return literal(value, UTCDateTime())


def bulk_enroll(
    session: Session,
    campaign: Campaign,
    first: SequenceStep,
    candidates: list,
    *,
    due_for_zone: Callable[[str | None], datetime],
    max_attempts: int,
    kind: str,
    test_mode: bool,
    now: datetime,
    entry: ColumnElement | None = None,
) -> int:
    """Enrol every lead matching `candidates` (conditions on Lead) and queue `first` for
    them. `due_for_zone(lead_timezone) -> datetime` gives the due time. `entry` (a
    condition on Lead) tells this run's contacts from those a run at the same moment
    enrolled at another step. Returns how many were enrolled."""
    _insert_enrollments(session, campaign, candidates, test_mode=test_mode, now=now)
    this_run = [
        Enrollment.campaign_id == campaign.id,
        Enrollment.test_mode.is_(test_mode),
        Enrollment.enrolled_at == now,
        Enrollment.status == "active",
        ~exists().where(Send.enrollment_id == Enrollment.id, Send.step_id == first.id),
    ]
    if entry is not None:
        this_run.append(
            Enrollment.lead_id.in_(select(Lead.id).where(Lead.org_id == campaign.org_id, entry))
        )
    # Counted, not taken from the INSERT's row count (psycopg reports none for INSERT … SELECT).
    enrolled = session.scalar(select(func.count()).select_from(Enrollment).where(*this_run)) or 0
    if not enrolled:
        return 0
    key = literal("enrollment:") + cast(Enrollment.id, String) + literal(f":step:{first.id}")
    queue.enqueue_from_select(
        session,
        select(Enrollment.id)
        .select_from(Enrollment)
        .join(Lead, Lead.id == Enrollment.lead_id)
        .where(*this_run)
        .order_by(Enrollment.id),
        kind=kind,
        idempotency_key=key,
        payload=_payload(session, campaign, first),
        run_at=_due_by_zone(session, this_run, due_for_zone),
        org_id=campaign.org_id,
        max_attempts=max_attempts,
        test_mode=test_mode,
        now=now,
    )
    _insert_sends(session, campaign, first, this_run, key, test_mode=test_mode, now=now)
    return enrolled


def _insert_enrollments(
    session: Session, campaign: Campaign, candidates: list, *, test_mode: bool, now: datetime
) -> None:
    """INSERT … SELECT the candidates into `enrollments`; the unique key skips the enrolled."""
    session.execute(
        dialect_insert(session)(Enrollment.__table__)
        .from_select(
            ["org_id", "campaign_id", "lead_id", "status", "test_mode", "enrolled_at"],
            select(
                literal(campaign.org_id),
                literal(campaign.id),
                Lead.id,
                literal("active"),
                literal(test_mode),
                _at(now),
            )
            .where(*candidates)
            .order_by(Lead.id),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "lead_id", "test_mode"])
    )


def _due_by_zone(
    session: Session, this_run: list, due_for_zone: Callable[[str | None], datetime]
) -> ColumnElement:
    """The due time as a CASE on the contact's zone, computed once per distinct zone."""
    zones = session.scalars(
        select(Lead.timezone)
        .join(Enrollment, Enrollment.lead_id == Lead.id)
        .where(*this_run)
        .distinct()
    ).all()
    if not any(zones):
        return _at(due_for_zone(None))
    return case(
        {zone: _at(due_for_zone(zone)) for zone in zones if zone is not None},
        value=Lead.timezone,
        else_=_at(due_for_zone(None)),
    )


def _payload(session: Session, campaign: Campaign, first: SequenceStep) -> ColumnElement:
    """The job payload built in SQL (only the JSON function differs between the dialects)."""
    json_object = (
        func.json_build_object
        if session.get_bind().dialect.name == "postgresql"
        else func.json_object
    )
    return json_object(
        "enrollment_id", Enrollment.id, "step_id", first.id, "campaign_id", campaign.id
    )


SEND_COLUMNS = [
    "org_id",
    "campaign_id",
    "enrollment_id",
    "step_id",
    "lead_id",
    "queued_job_id",
    "channel",
    "to",
    "status",
    "subject",
    "body_text",
    "due_at",
    "opens",
    "clicks",
    "test_mode",
    "created_at",
]


def _insert_sends(
    session: Session,
    campaign: Campaign,
    first: SequenceStep,
    this_run: list,
    key: ColumnElement,
    *,
    test_mode: bool,
    now: datetime,
) -> None:
    """INSERT … SELECT one Send per enrolment of this run, joined to its queue row by key."""
    address = Lead.email if first.channel == "email" else Lead.phone
    session.execute(
        dialect_insert(session)(Send.__table__)
        .from_select(
            SEND_COLUMNS,
            select(
                literal(campaign.org_id),
                literal(campaign.id),
                Enrollment.id,
                literal(first.id),
                Lead.id,
                QueuedJob.id,
                literal(first.channel),
                func.coalesce(address, ""),
                literal("queued"),
                literal(""),
                literal(""),
                QueuedJob.run_at,
                literal(0),
                literal(0),
                literal(test_mode),
                _at(now),
            )
            .select_from(Enrollment)
            .join(Lead, Lead.id == Enrollment.lead_id)
            .join(QueuedJob, and_(QueuedJob.idempotency_key == key))
            .where(*this_run)
            .order_by(Enrollment.id),
        )
        .on_conflict_do_nothing(index_elements=["enrollment_id", "step_id"])
    )


def first_job_ids(
    session: Session, campaign: Campaign, *, test_mode: bool, now: datetime, limit: int = 1000
) -> list[int]:
    """The queue ids of the first messages queued by a run at `now` (a sample, for callers)."""
    return list(
        session.scalars(
            select(Send.queued_job_id)
            .join(Enrollment, Enrollment.id == Send.enrollment_id)
            .where(
                Enrollment.campaign_id == campaign.id,
                Enrollment.enrolled_at == now,
                Enrollment.test_mode.is_(test_mode),
                Send.queued_job_id.is_not(None),
            )
            .order_by(Send.id)
            .limit(limit)
        )
    )
