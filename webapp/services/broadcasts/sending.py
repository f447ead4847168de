"""A broadcast's life cycle: schedule or send now, start (expand the audience), pause,
resume, cancel, and mark it sent when its last message is settled.

Why the sequence dispatcher sends it: each recipient becomes an Enrollment, a Send and a
"sequence_step" queue job, written by three INSERT … SELECT statements
(messaging `bulk_enroll`), so nothing passes through Python per contact and the
dispatcher's send path does the rest — the unsubscribe check just before sending, tracking
links, send windows, pacing, the circuit breaker, and the per-message acknowledgement that
makes a restart resume from the last message recorded. The queue job's idempotency key
(enrolment + step) and the enrolment's unique key keep anyone from getting it twice.

Pause sets the campaign to paused: the dispatcher puts its due jobs back (not an attempt)
until it is active again; resume brings the waiting jobs forward to now. Services flush,
never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.db import begin_write
from webapp.models import Broadcast, Campaign, Lead, Organization, QueuedJob
from webapp.models.sequence import Enrollment, Send
from webapp.services.activity import log_activity
from webapp.services.broadcasts.compose import BroadcastError, audience, message_of
from webapp.services.messaging import KIND, MAX_ATTEMPTS, StepPlanner, bulk_enroll


def _log(session, broadcast, type_, text, *, now, actor_id=None, details=None) -> None:
    log_activity(
        session,
        broadcast.org_id,
        f"broadcast.{type_}",
        text,
        now=now,
        entity=("broadcast", broadcast.id),
        actor_id=actor_id,
        details=details,
    )


def _set(session: Session, broadcast: Broadcast, status: str, now: datetime) -> None:
    broadcast.status, broadcast.updated_at = status, now
    campaign = session.get(Campaign, broadcast.campaign_id)
    campaign.status = {"sending": "active", "paused": "paused"}.get(
        status, "completed" if status in ("sent", "cancelled") else "draft"
    )
    campaign.updated_at = now


def schedule_broadcast(
    session: Session, broadcast: Broadcast, at: datetime, *, actor_id: int | None, now: datetime
) -> Broadcast:
    """Send the broadcast at `at` (UTC; the page converts from the workspace's zone)."""
    if broadcast.status not in ("draft", "scheduled"):
        raise BroadcastError("Only a draft can be scheduled.")
    if at <= now:
        raise BroadcastError("Choose a time in the future, or send it now.", "scheduled_at")
    broadcast.scheduled_at = at
    _set(session, broadcast, "scheduled", now)
    _log(
        session,
        broadcast,
        "scheduled",
        f"Broadcast “{broadcast.name}” scheduled.",
        now=now,
        actor_id=actor_id,
        details={"at": at.isoformat()},
    )
    session.flush()
    return broadcast


def send_now(session: Session, broadcast: Broadcast, *, actor_id: int | None, now: datetime) -> int:
    """Start the broadcast now. Returns how many recipients it has."""
    if broadcast.status not in ("draft", "scheduled"):
        raise BroadcastError("This broadcast has already started.")
    return _start(session, broadcast, actor_id=actor_id, now=now)


def _start(session: Session, broadcast: Broadcast, *, actor_id: int | None, now: datetime) -> int:
    """Expand the audience into one queued message per recipient (bulk, in the database)."""
    if broadcast.audience == "segment" and broadcast.segment_id is None:
        raise BroadcastError("Its segment was deleted: choose another audience first.")
    begin_write(session)
    step = message_of(session, broadcast)
    campaign = session.get(Campaign, broadcast.campaign_id)
    org = session.get(Organization, broadcast.org_id)
    _set(session, broadcast, "sending", now)
    broadcast.started_at = now
    not_yet = ~exists().where(Enrollment.campaign_id == campaign.id, Enrollment.lead_id == Lead.id)
    planner = StepPlanner(campaign, org, step, now, immediate=False)
    count = bulk_enroll(
        session,
        campaign,
        step,
        [*audience(org.id, broadcast.segment_id, step.channel), not_yet],
        due_for_zone=planner.run_at,
        max_attempts=MAX_ATTEMPTS,
        kind=KIND,
        test_mode=False,
        now=now,
    )
    broadcast.recipients = count
    if not count:
        broadcast.note = "Nobody to send to: the audience had no subscribed contact."
        _set(session, broadcast, "sent", now)
        broadcast.finished_at = now
    _log(
        session,
        broadcast,
        "started",
        f"Broadcast “{broadcast.name}” started: {count} recipients.",
        now=now,
        actor_id=actor_id,
        details={"recipients": count},
    )
    session.flush()
    return count


def pause_broadcast(
    session: Session, broadcast: Broadcast, *, actor_id: int | None, now: datetime
) -> None:
    """Stop sending; what is not sent yet waits, and resume continues from there."""
    if broadcast.status != "sending":
        raise BroadcastError("Only a broadcast that is sending can be paused.")
    _set(session, broadcast, "paused", now)
    _log(
        session,
        broadcast,
        "paused",
        f"Broadcast “{broadcast.name}” paused.",
        now=now,
        actor_id=actor_id,
    )
    session.flush()


def resume_broadcast(
    session: Session, broadcast: Broadcast, *, actor_id: int | None, now: datetime
) -> int:
    """Continue a paused broadcast from where it stopped. Returns how many wait to go."""
    if broadcast.status != "paused":
        raise BroadcastError("Only a paused broadcast can be resumed.")
    _set(session, broadcast, "sending", now)
    moved = queue.reschedule(
        session, QueuedJob.id.in_(_queued_job_ids(broadcast)), run_at=now, now=now
    )
    _log(
        session,
        broadcast,
        "resumed",
        f"Broadcast “{broadcast.name}” resumed: {moved} to go.",
        now=now,
        actor_id=actor_id,
    )
    session.flush()
    return moved


def cancel_broadcast(
    session: Session, broadcast: Broadcast, *, actor_id: int | None, now: datetime
) -> int:
    """Cancel what is not sent yet (messages already sent stay sent). Returns how many."""
    if broadcast.status not in ("draft", "scheduled", "sending", "paused"):
        raise BroadcastError("This broadcast has finished.")
    reason = "The broadcast was cancelled."
    cancelled = queue.cancel_where(
        session,
        QueuedJob.id.in_(_queued_job_ids(broadcast)),
        QueuedJob.org_id == broadcast.org_id,
        now=now,
        reason=reason,
    )
    session.execute(
        update(Send)
        .where(
            Send.campaign_id == broadcast.campaign_id,
            Send.status == "queued",
            Send.queued_job_id.in_(select(QueuedJob.id).where(QueuedJob.status == "cancelled")),
        )
        .values(status="cancelled", error=reason, error_class="CANCELLED")
        .execution_options(synchronize_session=False)
    )
    _set(session, broadcast, "cancelled", now)
    broadcast.finished_at = now
    broadcast.note = reason
    _log(
        session,
        broadcast,
        "cancelled",
        f"Broadcast “{broadcast.name}” cancelled; {cancelled} messages not sent.",
        now=now,
        actor_id=actor_id,
        details={"cancelled": cancelled},
    )
    session.flush()
    return cancelled


def _queued_job_ids(broadcast: Broadcast):
    return select(Send.queued_job_id).where(
        Send.campaign_id == broadcast.campaign_id,
        Send.status == "queued",
        Send.queued_job_id.is_not(None),
    )


def start_due(session: Session, *, org_id: int | None, now: datetime) -> int:
    """Start the scheduled broadcasts whose time has come. Returns how many started."""
    query = select(Broadcast).where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
    if org_id is not None:
        query = query.where(Broadcast.org_id == org_id)
    started = 0
    for broadcast in session.scalars(query.order_by(Broadcast.scheduled_at)).all():
        try:
            _start(session, broadcast, actor_id=None, now=now)
        except BroadcastError as exc:  # back to draft, saying why, for a person to fix
            broadcast.note = str(exc)
            _set(session, broadcast, "draft", now)
            _log(
                session,
                broadcast,
                "not_started",
                f"Broadcast “{broadcast.name}” did not start: {exc}",
                now=now,
            )
            continue
        started += 1
    return started


def finish_sent(session: Session, *, org_id: int | None, now: datetime) -> int:
    """Mark sending broadcasts with no message left queued as sent, with their figures in
    the activity feed. Returns how many finished."""
    from webapp.services.broadcasts.results import figures

    query = select(Broadcast).where(Broadcast.status == "sending")
    if org_id is not None:
        query = query.where(Broadcast.org_id == org_id)
    done = 0
    for broadcast in session.scalars(query).all():
        queued = session.scalar(
            select(func.count())
            .select_from(Send)
            .where(Send.campaign_id == broadcast.campaign_id, Send.status == "queued")
        )
        if queued:
            continue
        _set(session, broadcast, "sent", now)
        broadcast.finished_at = now
        numbers = figures(session, broadcast, now=now)
        _log(
            session,
            broadcast,
            "sent",
            f"Broadcast “{broadcast.name}” sent: {numbers['sent']} of "
            f"{numbers['recipients']} sent, {numbers['failed']} failed.",
            now=now,
            details=numbers,
        )
        done += 1
    session.flush()
    return done
