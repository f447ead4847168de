"""A sequence's life: activate, pause, finish, and complete once its last message went out.

Activation records `activated_at` in the campaign's settings (contacts created since then
are enrolled); finishing records `finishing_at` (no new contacts; the 15-minute job
completes the sequence after its last queued message). Services flush, never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from webapp.models import Campaign, QueuedJob
from webapp.models.sequence import Send
from webapp.services.activity import log_activity
from webapp.services.messaging.send_windows import DEFAULT_SCHEDULE
from webapp.services.messaging.sequences import (
    SequenceError,
    check_step,
    steps_of,
    validate_schedule,
)

EVERYONE = datetime(1970, 1, 1, tzinfo=UTC)  # "created since" that takes every contact


def activate_sequence(
    session: Session,
    campaign: Campaign,
    *,
    actor_id: int | None,
    now: datetime,
    include_existing: bool = False,
) -> int:
    """Start enrolling new contacts (those created from now on); with `include_existing`
    also the contacts already in the workspace who can receive a step, at once and set-
    based (each at the first step it can receive). Returns how many existing contacts
    were enrolled. Raises SequenceError when the sequence has no steps or one is invalid."""
    steps = steps_of(session, campaign)
    if not steps:
        raise SequenceError("Add at least one step before activating.", "steps")
    for item in steps:
        try:
            check_step(item.channel, item.subject, item.body, item.delay_value, item.delay_unit)
        except SequenceError as exc:
            raise SequenceError(f"Step {item.position}: {exc}", "steps") from None
    settings = dict(campaign.settings or {})
    settings["schedule"] = validate_schedule(settings.get("schedule") or DEFAULT_SCHEDULE)
    settings.setdefault("trigger", "new_contact")
    if campaign.status != "active":
        settings["activated_at"] = now.isoformat()
    settings.pop("finishing_at", None)
    campaign.settings = settings
    campaign.status = "active"
    campaign.updated_at = now
    session.flush()
    log_activity(
        session,
        campaign.org_id,
        "sequence.activated",
        f"Sequence “{campaign.name}” activated: contacts added from now on receive its "
        f"{len(steps)} step{'s' if len(steps) != 1 else ''}.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
    )
    if not include_existing:
        return 0
    from webapp.services.messaging.triggering import trigger_new_contacts

    return trigger_new_contacts(
        session, org_id=campaign.org_id, campaign_id=campaign.id, now=now, since=EVERYONE
    ).enrolled


def pause_sequence(
    session: Session, campaign: Campaign, *, actor_id: int | None, now: datetime
) -> None:
    """Stop enrolling and sending; queued messages wait (they resume on activation)."""
    if campaign.status == "paused":
        return
    campaign.status = "paused"
    campaign.updated_at = now
    session.flush()
    log_activity(
        session,
        campaign.org_id,
        "sequence.paused",
        f"Sequence “{campaign.name}” paused: no new enrolments, queued messages wait.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
    )


def finish_sequence(
    session: Session, campaign: Campaign, *, actor_id: int | None, now: datetime
) -> bool:
    """Stop enrolling; the contacts already in the sequence still get their messages. The
    sequence is "completed" only once no message of it is left to send (at once when none
    is; otherwise the 15-minute job completes it after the last one). Returns True when it
    completed now."""
    settings = dict(campaign.settings or {})
    settings["finishing_at"] = now.isoformat()
    campaign.settings = settings
    campaign.updated_at = now
    if has_remaining_jobs(session, campaign):
        campaign.status = "active"
        log_activity(
            session,
            campaign.org_id,
            "sequence.finishing",
            f"Sequence “{campaign.name}” takes no new contacts; it completes after its last queued message.",
            now=now,
            entity=("campaign", campaign.id),
            actor_id=actor_id,
        )
        session.flush()
        return False
    campaign.status = "completed"
    log_activity(
        session,
        campaign.org_id,
        "sequence.completed",
        f"Sequence “{campaign.name}” completed.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
    )
    session.flush()
    return True


def is_finishing(campaign: Campaign) -> bool:
    return bool((campaign.settings or {}).get("finishing_at"))


def activated_at(campaign: Campaign) -> datetime | None:
    raw = (campaign.settings or {}).get("activated_at")
    return datetime.fromisoformat(raw) if raw else None


def complete_finished(session: Session, *, org_id: int | None, now: datetime) -> int:
    """Complete the finishing sequences whose last message went out. Returns how many."""
    query = select(Campaign).where(Campaign.kind == "sequence", Campaign.status == "active")
    if org_id is not None:
        query = query.where(Campaign.org_id == org_id)
    done = 0
    for campaign in session.scalars(query):
        if (campaign.settings or {}).get("finishing_at") and not has_remaining_jobs(
            session, campaign
        ):
            campaign.status, campaign.updated_at = "completed", now
            log_activity(
                session,
                campaign.org_id,
                "sequence.completed",
                f"Sequence “{campaign.name}” completed: its last message was sent.",
                now=now,
                entity=("campaign", campaign.id),
            )
            done += 1
    session.flush()
    return done


def has_remaining_jobs(session: Session, campaign: Campaign) -> bool:
    """Whether any message of the campaign is still to send (a campaign is never
    "completed" while this is true)."""
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Send)
            .join(QueuedJob, QueuedJob.id == Send.queued_job_id)
            .where(
                Send.campaign_id == campaign.id,
                and_(QueuedJob.status.in_(("pending", "processing"))),
            )
        )
    )
