"""The WhatsApp coach: its settings, who it writes to, and the messages contacts send it.

- `ensure_default_settings` gives a workspace its coach settings (off until an owner
  turns the coach on); `save_settings` validates and saves a change and moves the
  pending follow-ups to the new schedule.
- `schedule_followups` enrols the audience — contacts with a phone number who have not
  opted out — with a first follow-up at the next allowed moment (coach_schedule).
- `process_due` (coach_process) writes and sends what is due; the 15-minute job runs both.
- `record_inbound` keeps a contact's WhatsApp message in its conversation and, with
  auto-reply on, queues a reply due now (sent after the webhook's request commits).

Services flush, never commit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from webapp import clock
from webapp.models import (
    CoachFollowup,
    CoachSettings,
    Conversation,
    ConversationMessage,
    Lead,
    Organization,
)
from webapp.models.coach import COACH_AUDIENCES, COACH_FREQUENCIES, open_key
from webapp.services.activity import log_activity
from webapp.services.coach_process import CoachResult, process_due
from webapp.services.coach_schedule import AUDIENCES, first_due, window_problems
from webapp.services.coach_writer import LANGUAGES
from webapp.services.send_windows import zone

__all__ = [
    "CoachResult",
    "ensure_default_settings",
    "get_settings",
    "process_due",
    "record_inbound",
    "save_settings",
    "schedule_followups",
]

DEFAULTS = {
    "audience": "new_leads",
    "goal": "Turn new enquiries into first visits with a friendly, personal check-in.",
    "frequency": "weekly",
    "window_start": "09:00",
    "window_end": "18:00",
    "tone": "friendly and encouraging",
    "language": "en",
    "enabled": False,
    "auto_reply": False,
}
OPEN = ("pending", "processing")
SETTINGS_FIELDS = (
    "audience",
    "goal",
    "frequency",
    "window_start",
    "window_end",
    "tone",
    "language",
    "enabled",
    "auto_reply",
)  # what a person sets (the form, the service)
CHUNK = 500
REPLY_SECONDS = 60  # time budget of the replies sent after a webhook request

log = logging.getLogger(__name__)


class SettingsInvalid(ValueError):
    """A settings change that cannot be saved; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def get_settings(session: Session, org_id: int) -> CoachSettings | None:
    return session.scalars(
        select(CoachSettings).where(CoachSettings.org_id == org_id)
    ).one_or_none()


def ensure_default_settings(session: Session, org_id: int, *, now: datetime) -> CoachSettings:
    """The workspace's coach settings, created with the defaults (coach off) when missing.

    Idempotent, also when two callers race: the insert ignores an existing row.
    """
    existing = get_settings(session, org_id)
    if existing is not None:
        return existing
    insert = dialect_insert(session)
    session.execute(
        insert(CoachSettings.__table__)
        .values(org_id=org_id, created_at=now, updated_at=now, **DEFAULTS)
        .on_conflict_do_nothing(index_elements=["org_id"])
    )
    return session.scalars(select(CoachSettings).where(CoachSettings.org_id == org_id)).one()


def validate_settings(values: dict) -> dict[str, str]:
    """Field name -> problem, for every value that cannot be saved."""
    errors: dict[str, str] = {}
    if values.get("audience") not in COACH_AUDIENCES:
        errors["audience"] = "Choose who the coach writes to."
    if values.get("frequency") not in COACH_FREQUENCIES:
        errors["frequency"] = "Choose how often the coach writes."
    if values.get("language") not in LANGUAGES:
        errors["language"] = "Choose one of the listed languages."
    goal = (values.get("goal") or "").strip()
    if len(goal) < 5:
        errors["goal"] = "Say in a few words what the coach should help contacts achieve."
    elif len(goal) > 500:
        errors["goal"] = "Keep the goal under 500 characters."
    tone = (values.get("tone") or "").strip()
    if not tone:
        errors["tone"] = "Describe the tone, for example “friendly and encouraging”."
    elif len(tone) > 120:
        errors["tone"] = "Keep the tone under 120 characters."
    errors.update(window_problems(values.get("window_start") or "", values.get("window_end") or ""))
    return errors


def save_settings(
    session: Session, org_id: int, values: dict, *, actor_id: int | None, now: datetime
) -> CoachSettings:
    """Validate and save the coach settings. Raises SettingsInvalid with field errors.

    Pending follow-ups move to the first allowed moment under the new schedule when the
    frequency or window changed or the coach was turned on; an activity row says what changed.
    """
    errors = validate_settings(values)
    if errors:
        raise SettingsInvalid(errors)
    settings = ensure_default_settings(session, org_id, now=now)
    clean = {
        name: (values[name].strip() if isinstance(values[name], str) else bool(values[name]))
        for name in SETTINGS_FIELDS
    }
    changed = [name for name in SETTINGS_FIELDS if getattr(settings, name) != clean[name]]
    reschedule = bool({"frequency", "window_start", "window_end"} & set(changed)) or (
        "enabled" in changed and clean["enabled"]
    )
    for name in SETTINGS_FIELDS:
        setattr(settings, name, clean[name])
    settings.updated_at = now
    settings.updated_by_id = actor_id
    session.flush()
    moved = 0
    if reschedule:
        due = first_due(settings, now, _timezone(session, org_id))
        moved = session.execute(
            update(CoachFollowup)
            .where(
                CoachFollowup.org_id == org_id,
                CoachFollowup.status == "pending",
                CoachFollowup.kind == "followup",
            )
            .values(due_at=due, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    state = "on" if settings.enabled else "off"
    words = ", ".join(name.replace("_", " ") for name in changed) or "nothing"
    log_activity(
        session,
        org_id,
        "coach.settings_saved",
        f"WhatsApp coach settings saved (coach {state}; changed: {words})."
        + (
            f" {moved} pending follow-up{'s' if moved != 1 else ''} moved to the new schedule."
            if moved
            else ""
        ),
        now=now,
        actor_id=actor_id,
        entity=("coach_settings", settings.id),
        details={"changed": changed},
    )
    return settings


def _timezone(session: Session, org_id: int) -> str:
    name = session.scalar(select(Organization.timezone).where(Organization.id == org_id))
    return name if zone(name) is not None else "UTC"


def dialect_insert(session: Session):  # noqa: ANN202
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# --- enrolling the audience ---------------------------------------------------------------


def open_followup(session: Session, org_id: int, lead_id: int, conversation_id: int, kind: str, *,
                  due_at: datetime, now: datetime) -> int | None:
    """Queue a follow-up (or a reply) for the contact, unless one of that kind is already open
    (its `open_key`). Returns the new id, or None when one was open."""
    table = CoachFollowup.__table__
    return session.execute(
        dialect_insert(session)(table)
        .values(org_id=org_id, lead_id=lead_id, conversation_id=conversation_id, kind=kind, due_at=due_at,
                status="pending", open_key=open_key(kind, lead_id), attempts=0, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["open_key"])
        .returning(table.c.id)
    ).scalar_one_or_none()


def eligible_leads(settings: CoachSettings):  # noqa: ANN201
    """The select of (id, phone) of the contacts the coach should have a follow-up for."""
    has_open = exists().where(
        CoachFollowup.lead_id == Lead.id,
        CoachFollowup.kind == "followup",
        CoachFollowup.status.in_(OPEN),
    )
    query = select(Lead.id, Lead.phone).where(
        Lead.org_id == settings.org_id,
        Lead.phone.is_not(None),
        Lead.phone != "",
        Lead.unsubscribed_at.is_(None),
        ~has_open,
    )
    statuses = AUDIENCES.get(settings.audience)
    if statuses:
        query = query.where(Lead.status.in_(statuses))
    return query.order_by(Lead.id)


def schedule_followups(session: Session, org_id: int | None, *, now: datetime) -> int:
    """Give every contact of the audience a pending follow-up (every enabled workspace when
    `org_id` is None). Idempotent: a contact has at most one open follow-up. Returns how
    many were created. Flushes."""
    query = select(CoachSettings).where(CoachSettings.enabled.is_(True))
    if org_id is not None:
        query = query.where(CoachSettings.org_id == org_id)
    created = 0
    for settings in session.scalars(query.order_by(CoachSettings.org_id)).all():
        leads = session.execute(eligible_leads(settings)).all()
        if not leads:
            continue
        due = first_due(settings, now, _timezone(session, settings.org_id))
        for start in range(0, len(leads), CHUNK):
            created += _enrol(session, settings.org_id, leads[start : start + CHUNK], due, now)
    return created


def _enrol(session: Session, org_id: int, leads: list, due: datetime, now: datetime) -> int:
    insert = dialect_insert(session)
    conversations = Conversation.__table__
    session.execute(
        insert(conversations).on_conflict_do_nothing(index_elements=["org_id", "lead_id"]),
        [
            {
                "org_id": org_id,
                "lead_id": lead_id,
                "phone": phone,
                "status": "active",
                "last_preview": "",
                "message_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            for lead_id, phone in leads
        ],
    )
    lead_ids = [lead_id for lead_id, _phone in leads]
    session.execute(  # a contact that opted out and came back (START) is coached again
        update(Conversation)
        .where(
            Conversation.org_id == org_id,
            Conversation.lead_id.in_(lead_ids),
            Conversation.status != "active",
        )
        .values(status="active", status_reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    by_lead = dict(
        session.execute(
            select(Conversation.lead_id, Conversation.id).where(
                Conversation.org_id == org_id, Conversation.lead_id.in_(lead_ids)
            )
        ).all()
    )
    rows = [
        {
            "org_id": org_id,
            "lead_id": lead_id,
            "conversation_id": by_lead[lead_id],
            "kind": "followup",
            "due_at": due,
            "status": "pending",
            "open_key": open_key("followup", lead_id),
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for lead_id in lead_ids
    ]
    table = CoachFollowup.__table__
    made = session.execute(
        insert(table).on_conflict_do_nothing(index_elements=["open_key"]).returning(table.c.id),
        rows,
    ).all()
    return len(made)


# --- messages contacts send ---------------------------------------------------------------


@dataclass
class InboundRecord:
    conversation_id: int
    message_id: int | None  # None: a duplicate delivery of a message already kept
    reply_followup_id: int | None  # the reply queued for it (auto-reply on), else None


def record_inbound(
    session: Session, org_id: int, lead: Lead, body: str, sid: str | None, now: datetime
) -> InboundRecord | None:
    """Keep a WhatsApp message from `lead` in its conversation; with auto-reply on, queue a
    reply due now. Returns None when the workspace's coach is not in use (never turned on and
    no conversation with the contact). Twilio may deliver a webhook twice: a message whose
    SID is already kept is not kept again. Flushes."""
    settings = get_settings(session, org_id)
    conversation = session.scalars(
        select(Conversation).where(Conversation.org_id == org_id, Conversation.lead_id == lead.id)
    ).one_or_none()
    if conversation is None:
        if settings is None or not settings.enabled:
            return None
        session.execute(
            dialect_insert(session)(Conversation.__table__)
            .values(
                org_id=org_id,
                lead_id=lead.id,
                phone=lead.phone or "",
                status="active",
                last_preview="",
                message_count=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["org_id", "lead_id"])
        )
        conversation = session.scalars(
            select(Conversation).where(
                Conversation.org_id == org_id, Conversation.lead_id == lead.id
            )
        ).one()
    if sid and session.scalar(
        select(ConversationMessage.id).where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.provider_sid == sid,
            ConversationMessage.direction == "in",
        )
    ):
        return InboundRecord(conversation.id, None, None)
    text = body.strip()[:4000]
    message = ConversationMessage(
        conversation_id=conversation.id,
        org_id=org_id,
        direction="in",
        body=text,
        provider="twilio",
        provider_sid=sid,
        status="received",
        created_at=now,
    )
    session.add(message)
    conversation.last_inbound_at = now
    conversation.last_message_at = now
    conversation.last_preview = text[:200]
    conversation.message_count = Conversation.message_count + 1
    conversation.updated_at = now
    session.flush()
    reply_id = None
    if (
        settings is not None
        and settings.enabled
        and settings.auto_reply
        and lead.unsubscribed_at is None
    ):
        reply_id = open_followup(session, org_id, lead.id, conversation.id, "reply", due_at=now, now=now)
        if reply_id is None:  # a reply is already queued; it will see this message too
            reply_id = session.scalar(
                select(CoachFollowup.id).where(CoachFollowup.open_key == open_key("reply", lead.id))
            )
    return InboundRecord(conversation.id, message.id, reply_id)


def send_replies(app: Flask, followup_ids: list[int]) -> None:
    """Process the given reply follow-ups now (the webhook calls this once its response has
    gone out); a failure leaves them to the 15-minute job."""
    try:
        with app.app_context():
            process_due(
                app, now=clock.now(), only=followup_ids, deadline=time.monotonic() + REPLY_SECONDS
            )
    except Exception:  # the job retries; a webhook's caller must never see this
        log.exception("coach: sending replies %s after the request failed", followup_ids)


DELIVERED = frozenset({"delivered", "read"})
UNDELIVERED = frozenset({"failed", "undelivered"})


def record_message_status(session: Session, followup_id: int, sid: str | None, status: str,
                          error_code: str | None) -> bool | None:
    """Apply Twilio's delivery report to the coach message sent for `followup_id`. Flushes.

    None when no message was sent for it; False when the report was ignored (another
    message's SID, or an intermediate status); True when applied."""
    message = session.scalars(
        select(ConversationMessage).where(
            ConversationMessage.followup_id == followup_id, ConversationMessage.direction == "out"
        ).order_by(ConversationMessage.id.desc())
    ).first()
    if message is None:
        return None
    if not sid or sid != message.provider_sid:
        return False
    status = (status or "").strip().lower()
    if status in DELIVERED and message.status in ("sent", "delivered"):
        message.status = "delivered"
    elif status in UNDELIVERED and message.status != "failed":
        message.status = "failed"
    else:
        return False
    session.flush()
    return True
