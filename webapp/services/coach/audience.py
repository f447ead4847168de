"""The WhatsApp coach: its settings, who it writes to, and the messages contacts send it.

- `ensure_default_settings` gives a workspace its coach settings (off until an owner
  turns the coach on); `save_settings` validates and saves a change and moves the
  pending follow-ups to the new schedule.
- `schedule_followups` enrols the audience — contacts with a phone number who agreed to
  WhatsApp messages (coach/consent.py) and have not opted out — with a first follow-up at
  the next allowed moment in the contact's own zone (coach/schedule.py).
  Every follow-up created here is also queued as a job of the work engine (coach/work.py).
- `process_due` (coach/process.py) runs the due follow-ups' jobs: writes and sends what
  is due; the 15-minute job runs both.
- `record_inbound` keeps a contact's WhatsApp message in its conversation and, with
  auto-reply on, queues a reply due now (sent after the webhook's request commits).

Services flush, never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import (
    CoachFollowup,
    CoachSettings,
    Conversation,
    Lead,
    Organization,
)
from webapp.models.coach import COACH_AUDIENCES, COACH_FREQUENCIES, THREAD_WHERE, open_key
from webapp.services.activity import log_activity
from webapp.services.coach import work
from webapp.services.coach.consent import whatsapp_consent
from webapp.services.coach.process import CoachResult, process_due
from webapp.services.coach.schedule import AUDIENCES, contact_zone, first_due, window_problems
from webapp.services.coach.writer import LANGUAGES, OWNER_SIDE
from webapp.services.messaging import zone
from webapp.services.suppression import not_suppressed

__all__ = [
    "CoachResult",
    "ensure_default_settings",
    "get_settings",
    "process_due",
    "save_settings",
    "schedule_followups",
]

DEFAULTS = {
    "audience": "new_leads",
    "goal": "come in for a first visit",  # the customer's next step, sent to customers
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
        errors["goal"] = "Say in a few words what the coach invites customers to do."
    elif len(goal) > 500:
        errors["goal"] = "Keep the goal under 500 characters."
    elif OWNER_SIDE.search(goal):
        errors["goal"] = (
            "Customers read this: write it as their next step, for example "
            "“book a first tasting visit”, not as a target of the business."
        )
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
        ids = session.scalars(
            update(CoachFollowup)
            .where(
                CoachFollowup.org_id == org_id,
                CoachFollowup.status == "pending",
                CoachFollowup.kind == "followup",
            )
            .values(due_at=due, updated_at=now)
            .returning(CoachFollowup.id)
            .execution_options(synchronize_session=False)
        ).all()
        moved = len(ids)
        work.move(session, "followup", list(ids), due_at=due, now=now)
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


# --- enrolling the audience ---------------------------------------------------------------


def open_followup(
    session: Session,
    org_id: int,
    lead_id: int,
    conversation_id: int,
    kind: str,
    *,
    due_at: datetime,
    now: datetime,
) -> int | None:
    """Queue a follow-up (or a reply) for the contact, with its job, unless one of that kind
    is already open (its `open_key`). Returns the new id, or None when one was open."""
    table = CoachFollowup.__table__
    new_id = session.execute(
        dialect_insert(session)(table)
        .values(
            org_id=org_id,
            lead_id=lead_id,
            conversation_id=conversation_id,
            kind=kind,
            due_at=due_at,
            status="pending",
            open_key=open_key(kind, lead_id),
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["open_key"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    if new_id is not None:
        work.enqueue(
            session, [work.new_job(new_id, kind, org_id, conversation_id, due_at)], now=now
        )
    return new_id


def eligible_leads(settings: CoachSettings):
    """The select of (id, phone, timezone) of the contacts the coach should have a follow-up for."""
    has_open = exists().where(
        CoachFollowup.lead_id == Lead.id,
        CoachFollowup.kind == "followup",
        CoachFollowup.status.in_(OPEN),
    )
    query = select(Lead.id, Lead.phone, Lead.timezone).where(
        Lead.org_id == settings.org_id,
        Lead.phone.is_not(None),
        Lead.phone != "",
        Lead.unsubscribed_at.is_(None),
        whatsapp_consent(),
        not_suppressed("whatsapp"),  # opted out of WhatsApp
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
        workspace_zone = _timezone(session, settings.org_id)
        by_zone: dict[str, list] = {}  # each contact's first follow-up in its own window
        for lead_id, phone, lead_zone in session.execute(eligible_leads(settings)).all():
            place = contact_zone(lead_zone, phone, workspace_zone)
            by_zone.setdefault(place, []).append((lead_id, phone))
        for place, leads in sorted(by_zone.items()):
            due = first_due(settings, now, place)
            for start in range(0, len(leads), CHUNK):
                created += _enrol(session, settings.org_id, leads[start : start + CHUNK], due, now)
    return created


def _enrol(session: Session, org_id: int, leads: list, due: datetime, now: datetime) -> int:
    by_lead = _open_conversations(session, org_id, leads, now)
    made = _add_followups(session, org_id, leads, by_lead, due, now)
    work.enqueue(
        session,
        (
            work.new_job(
                i,
                "followup",
                org_id,
                by_lead[lead_id],
                due,
            )
            for i, lead_id in made
        ),
        now=now,
    )
    return len(made)


def _open_conversations(
    session: Session, org_id: int, leads: list, now: datetime
) -> dict[int, int]:
    """An active conversation for each (lead id, phone); returns lead id → conversation id."""
    insert = dialect_insert(session)
    conversations = Conversation.__table__
    session.execute(
        insert(conversations).on_conflict_do_nothing(
            index_elements=["org_id", "channel", "lead_id"], index_where=text(THREAD_WHERE)
        ),
        [
            {
                "org_id": org_id,
                "lead_id": lead_id,
                "channel": "whatsapp",
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
            Conversation.channel == "whatsapp",
            Conversation.lead_id.in_(lead_ids),
            Conversation.status != "active",
        )
        .values(status="active", status_reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return dict(
        session.execute(
            select(Conversation.lead_id, Conversation.id).where(
                Conversation.org_id == org_id,
                Conversation.channel == "whatsapp",
                Conversation.lead_id.in_(lead_ids),
            )
        ).all()
    )


def _add_followups(
    session: Session,
    org_id: int,
    leads: list,
    by_lead: dict[int, int],
    due: datetime,
    now: datetime,
) -> list:
    """A pending follow-up for each lead that has no open one; returns (id, lead id) of those
    added (the open key skips the rest)."""
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
        for lead_id, _phone in leads
    ]
    table = CoachFollowup.__table__
    return session.execute(
        dialect_insert(session)(table)
        .on_conflict_do_nothing(index_elements=["open_key"])
        .returning(table.c.id, table.c.lead_id),
        rows,
    ).all()
