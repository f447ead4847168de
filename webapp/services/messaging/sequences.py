"""Sequence campaigns: create and edit them and their steps (activate, pause and finish are
in messaging/sequence_lifecycle.py).

A sequence IS a Campaign with kind="sequence"; `Campaign.settings` holds its trigger
("new_contact"), its schedule (see send_windows) and, once activated, `activated_at`
(contacts created since then are enrolled). Steps are numbered 1..n in sending order.
Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import Campaign
from webapp.models.sequence import DELAY_UNITS, STEP_CHANNELS, SequenceStep
from webapp.services.activity import log_activity
from webapp.services.messaging.job_actions import cancel_step_jobs
from webapp.services.messaging.send_windows import DEFAULT_SCHEDULE, parse_hhmm, zone
from webapp.services.messaging.templating import unknown_placeholders

TRIGGERS = {"new_contact": "New contact"}
MAX_DELAY = {"minutes": 60 * 24 * 365, "hours": 24 * 365, "days": 365}
SMS_MAX_CHARS = 1600  # Twilio's limit for one message body


class SequenceError(DomainError):
    """A sequence or step the rules refuse; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def validate_schedule(schedule: dict) -> dict:
    """The schedule normalised: days a sorted list of 0–6 (Monday=0), "HH:MM" times with
    start before end, timezone_mode workspace|contact, timezone a known IANA name or None.

    Raises SequenceError naming the field at fault.
    """
    schedule = dict(schedule or {})
    try:
        days = sorted({int(d) for d in schedule.get("days", DEFAULT_SCHEDULE["days"])})
    except (TypeError, ValueError):
        raise SequenceError("Choose the days as numbers 0–6 (Monday is 0).", "days") from None
    if not days:
        raise SequenceError("Choose at least one day on which messages may be sent.", "days")
    if any(d < 0 or d > 6 for d in days):
        raise SequenceError("Days go from 0 (Monday) to 6 (Sunday).", "days")
    times = {}
    for key in ("start", "end"):
        raw = str(schedule.get(key) or DEFAULT_SCHEDULE[key]).strip()
        try:
            parsed = parse_hhmm(raw)
        except ValueError:
            raise SequenceError("Give a time as HH:MM, for example 09:00.", key) from None
        times[key] = parsed
    if times["start"] >= times["end"]:
        raise SequenceError("The window must end after it starts (same day).", "end")
    mode = schedule.get("timezone_mode") or "workspace"
    if mode not in ("workspace", "contact"):
        raise SequenceError(
            "Choose the workspace's time zone or each contact's own.", "timezone_mode"
        )
    tz = (schedule.get("timezone") or "").strip() or None
    if tz is not None and zone(tz) is None:
        raise SequenceError(
            f"Unknown time zone {tz!r}; use a name such as Europe/London.", "timezone"
        )
    return {
        "days": days,
        "start": times["start"].strftime("%H:%M"),
        "end": times["end"].strftime("%H:%M"),
        "timezone_mode": mode,
        "timezone": tz,
    }


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SequenceError("Give the sequence a name.", "name")
    if len(name) > 120:
        raise SequenceError("Keep the name under 120 characters.", "name")
    return name


def is_sequence(campaign: Campaign) -> bool:
    return campaign.kind == "sequence"


def create_sequence(
    session: Session,
    org_id: int,
    *,
    name: str,
    schedule: dict,
    actor_id: int | None,
    now: datetime,
    trigger: str = "new_contact",
) -> Campaign:
    """A new sequence in draft (add steps, then activate). Raises SequenceError."""
    if trigger not in TRIGGERS:
        raise SequenceError("The only trigger so far is “new contact”.", "trigger")
    campaign = Campaign(
        org_id=org_id,
        name=_name(name),
        channel="email",
        kind="sequence",
        auto_managed=False,
        status="draft",
        settings={"trigger": trigger, "schedule": validate_schedule(schedule)},
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    log_activity(
        session,
        org_id,
        "sequence.created",
        f"Sequence “{campaign.name}” created (draft).",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
    )
    return campaign


def update_sequence(
    session: Session,
    campaign: Campaign,
    *,
    name: str,
    schedule: dict,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Rename and reschedule. Messages already queued keep their due time."""
    settings = dict(campaign.settings or {})
    settings["schedule"] = validate_schedule(schedule)
    campaign.name = _name(name)
    campaign.settings = settings
    campaign.updated_at = now
    session.flush()
    log_activity(
        session,
        campaign.org_id,
        "sequence.updated",
        f"Sequence “{campaign.name}” updated.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
        details={"schedule": settings["schedule"]},
    )


def steps_of(session: Session, campaign: Campaign) -> list[SequenceStep]:
    return list(
        session.scalars(
            select(SequenceStep)
            .where(SequenceStep.campaign_id == campaign.id, SequenceStep.org_id == campaign.org_id)
            .order_by(SequenceStep.position, SequenceStep.id)
        )
    )


def step_delay(step: SequenceStep) -> timedelta:
    return timedelta(**{step.delay_unit: int(step.delay_value or 0)})


def check_step(channel: str, subject: str, body: str, delay_value: object, delay_unit: str) -> dict:
    if channel not in STEP_CHANNELS:
        raise SequenceError("Choose email, SMS or WhatsApp.", "channel")
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if channel == "email" and not subject:
        raise SequenceError("An email needs a subject.", "subject")
    if len(subject) > 300:
        raise SequenceError("Keep the subject under 300 characters.", "subject")
    if not body:
        raise SequenceError("Write the message.", "body")
    if channel != "email" and len(body) > SMS_MAX_CHARS:
        raise SequenceError(f"A text message can hold at most {SMS_MAX_CHARS} characters.", "body")
    for field_name, text in (("subject", subject), ("body", body)):
        unknown = unknown_placeholders(text)
        if unknown:
            raise SequenceError(
                f"Unknown variable {{{{{unknown[0]}}}}}; use customerName, firstName, lastName, "
                "companyName, contactCompany, email or phone.",
                field_name,
            )
    if delay_unit not in DELAY_UNITS:
        raise SequenceError("Choose minutes, hours or days.", "delay_unit")
    try:
        delay = int(delay_value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SequenceError("Give the delay as a whole number.", "delay_value") from None
    if delay < 0 or delay > MAX_DELAY[delay_unit]:
        raise SequenceError(
            f"The delay must be between 0 and {MAX_DELAY[delay_unit]} {delay_unit}.", "delay_value"
        )
    return {
        "channel": channel,
        "subject": subject if channel == "email" else "",
        "body": body,
        "delay_value": delay,
        "delay_unit": delay_unit,
    }


def add_step(
    session: Session,
    campaign: Campaign,
    *,
    channel: str,
    subject: str,
    body: str,
    delay_value: int,
    delay_unit: str,
    actor_id: int | None,
    now: datetime,
) -> SequenceStep:
    """Append a step. Raises SequenceError with the field at fault."""
    fields = check_step(channel, subject, body, delay_value, delay_unit)
    last = (
        session.scalar(
            select(func.max(SequenceStep.position)).where(SequenceStep.campaign_id == campaign.id)
        )
        or 0
    )
    step = SequenceStep(
        org_id=campaign.org_id,
        campaign_id=campaign.id,
        position=last + 1,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(step)
    session.flush()
    _sync_channel(session, campaign, now)
    log_activity(
        session,
        campaign.org_id,
        "sequence.step_added",
        f"Step {step.position} ({step.channel}) added to “{campaign.name}”.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
    )
    return step


def update_step(
    session: Session,
    step: SequenceStep,
    *,
    actor_id: int | None = None,
    now: datetime | None = None,
    **fields: object,
) -> SequenceStep:
    """Change a step's channel, subject, body or delay (only the fields given)."""
    merged = {
        "channel": fields.get("channel", step.channel),
        "subject": fields.get("subject", step.subject),
        "body": fields.get("body", step.body),
        "delay_value": fields.get("delay_value", step.delay_value),
        "delay_unit": fields.get("delay_unit", step.delay_unit),
    }
    for key, value in check_step(**merged).items():  # type: ignore[arg-type]
        setattr(step, key, value)
    if now is not None:
        step.updated_at = now
    session.flush()
    campaign = session.get(Campaign, step.campaign_id)
    if campaign is not None and now is not None:
        _sync_channel(session, campaign, now)
        log_activity(
            session,
            campaign.org_id,
            "sequence.step_updated",
            f"Step {step.position} of “{campaign.name}” edited.",
            now=now,
            entity=("campaign", campaign.id),
            actor_id=actor_id,
        )
    return step


def delete_step(
    session: Session, step: SequenceStep, *, actor_id: int | None, now: datetime
) -> None:
    """Remove a step and renumber the rest. Its queued messages are cancelled with the reason."""
    campaign = session.get(Campaign, step.campaign_id)
    position = step.position
    cancel_step_jobs(
        session, step, now=now, reason=f"Step {position} was deleted from the sequence."
    )
    session.delete(step)
    session.flush()
    if campaign is not None:
        _renumber(session, campaign)
        _sync_channel(session, campaign, now)
        log_activity(
            session,
            campaign.org_id,
            "sequence.step_deleted",
            f"Step {position} removed from “{campaign.name}”.",
            now=now,
            entity=("campaign", campaign.id),
            actor_id=actor_id,
        )


def move_step(session: Session, step: SequenceStep, direction: int) -> bool:
    """Swap the step with its neighbour (-1 earlier, 1 later). False at either end."""
    if direction not in (-1, 1):
        raise SequenceError("Move a step up (-1) or down (1).")
    campaign = session.get(Campaign, step.campaign_id)
    steps = steps_of(session, campaign)
    index = next(i for i, s in enumerate(steps) if s.id == step.id)
    other = index + direction
    if other < 0 or other >= len(steps):
        return False
    steps[index], steps[other] = steps[other], steps[index]
    for position, item in enumerate(steps, start=1):
        item.position = position
    session.flush()
    _sync_channel(session, campaign, None)
    return True


def _renumber(session: Session, campaign: Campaign) -> None:
    for position, item in enumerate(steps_of(session, campaign), start=1):
        item.position = position
    session.flush()


def _sync_channel(session: Session, campaign: Campaign, now: datetime | None) -> None:
    """The campaign's channel is its first step's (what the campaigns list shows)."""
    steps = steps_of(session, campaign)
    if steps and campaign.channel != steps[0].channel:
        campaign.channel = steps[0].channel
        if now is not None:
            campaign.updated_at = now


def list_sequences(session: Session, org_id: int) -> list[Campaign]:
    """The workspace's sequences, newest first."""
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.org_id == org_id, Campaign.kind == "sequence")
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )
