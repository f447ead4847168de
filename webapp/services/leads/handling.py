"""What staff do with a lead once it is in: move its status, keep notes, read its timeline.

Each change writes a timeline row (and a status change an activity row) in the same
transaction; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.core.errors import DomainError
from webapp.models import LEAD_STATUSES, Lead, LeadEvent
from webapp.services.activity import log_activity
from webapp.services.leads.fields import (
    FieldError,
    LeadInvalid,
    clean_email,
    clean_phone,
    clean_text,
    clean_timezone,
    region_for,
    search_text_for,
    slug,
)
from webapp.services.leads.scoring import score_lead


def change_status(
    session: Session,
    lead: Lead,
    status: str,
    *,
    now: datetime,
    actor_id: int | None,
    actor_name: str | None = None,
) -> bool:
    """Move the lead to `status` (one of LEAD_STATUSES). Returns False when it already was."""
    if status not in LEAD_STATUSES:
        raise DomainError(f"Unknown status {status!r}; choose one of {', '.join(LEAD_STATUSES)}.")
    if lead.status == status:
        return False
    before, lead.status, lead.updated_at = lead.status, status, now
    who = actor_name or ("The autopilot" if actor_id is None else "Someone")
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="status_changed",
            description=f"{who} changed the status from {before} to {status}.",
            details={"before": before, "after": status},
            actor_id=actor_id,
            created_at=now,
        )
    )
    log_activity(
        session,
        lead.org_id,
        "lead.status_changed",
        f"{who} moved {lead.display_name} from {before} to {status}.",
        now=now,
        entity=("lead", lead.id),
        actor_id=actor_id,
        details={"before": before, "after": status},
    )
    contact_changed(session, lead, "status", {"before": before, "after": status}, actor_id, now)
    return True


def update_notes(
    session: Session,
    lead: Lead,
    notes: str,
    *,
    now: datetime,
    actor_id: int | None,
    actor_name: str | None = None,
) -> bool:
    """Replace the lead's notes; the timeline keeps what they said before. False if unchanged."""
    notes = (notes or "").strip()[:10_000]
    if notes == (lead.notes or ""):
        return False
    before, lead.notes, lead.updated_at = lead.notes, notes, now
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="notes_updated",
            description=f"{actor_name or 'Someone'} {'updated' if before else 'added'} the notes.",
            details={"before": before[:500], "after": notes[:500]},
            actor_id=actor_id,
            created_at=now,
        )
    )
    session.flush()
    contact_changed(session, lead, "notes", {"before": before, "after": notes}, actor_id, now)
    return True


def lead_timeline(session: Session, lead: Lead, limit: int = 200) -> list[LeadEvent]:
    """The lead's events, newest first."""
    return list(
        session.scalars(
            select(LeadEvent)
            .where(LeadEvent.lead_id == lead.id, LeadEvent.org_id == lead.org_id)
            .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc())
            .limit(limit)
        )
    )


def contact_changed(
    session: Session, lead: Lead, change: str, details: dict, actor_id: int | None, now: datetime
) -> None:
    """Tell the subscribers of `signals.contact_changed` what changed about `lead`."""
    signals.send(
        signals.contact_changed,
        session=session,
        org_id=lead.org_id,
        lead_id=lead.id,
        change=change,
        details=details,
        actor_id=actor_id,
        now=now,
    )


# The contact fields `update_fields` sets, each stored by the rules of fields.py.
EDITABLE_FIELDS = ("email", "phone", "full_name", "company", "source", "timezone")


def _cleaned(field: str, value: object, region: str | None) -> object:
    text = None if value is None else str(value)
    if field == "email":
        return clean_email(text)
    if field == "phone":
        return clean_phone(text, region)
    if field == "timezone":
        return clean_timezone(text)
    if field == "source":
        return slug(text) or "manual"
    return clean_text(text, 200)


def update_fields(
    session: Session,
    lead: Lead,
    changes: dict,
    *,
    org_timezone: str | None,
    now: datetime,
    actor_id: int | None,
    actor_name: str | None = None,
) -> list[str]:
    """Set contact fields (EDITABLE_FIELDS; "name" is full_name) in their stored forms, by
    the rules every lead is stored by. Raises LeadInvalid naming each field at fault (a
    contact keeps an email or a phone). Returns the fields that changed: the timeline says
    so, search text and score follow, and `contact_changed` ("fields") is sent."""
    region = region_for(changes.get("timezone") or lead.timezone or org_timezone)
    cleaned, errors = {}, {}
    for name, value in changes.items():
        field = "full_name" if name == "name" else name
        if field not in EDITABLE_FIELDS:
            errors[name] = "not a contact field that can be set"
            continue
        try:
            cleaned[field] = _cleaned(field, value, region)
        except FieldError as exc:
            errors[name] = str(exc)
    after = {"email": lead.email, "phone": lead.phone, **cleaned}
    if not errors and not after["email"] and not after["phone"]:
        errors["email" if "email" in cleaned else "phone"] = "no email or phone"
    if errors:
        raise LeadInvalid(errors)
    changed = [field for field, value in cleaned.items() if getattr(lead, field) != value]
    if not changed:
        return []
    before = {field: getattr(lead, field) for field in changed}
    for field in changed:
        setattr(lead, field, cleaned[field])
    lead.search_text = search_text_for(lead)
    lead.score, lead.score_reasons = score_lead(lead)
    lead.updated_at = now
    words = ", ".join(field.replace("full_name", "name").replace("_", " ") for field in changed)
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="fields_updated",
            description=f"{actor_name or 'Someone'} changed the {words}.",
            details={"before": before, "after": {field: cleaned[field] for field in changed}},
            actor_id=actor_id,
            created_at=now,
        )
    )
    session.flush()  # the segments the signal re-evaluates read the stored row
    contact_changed(session, lead, "fields", {"fields": changed}, actor_id, now)
    return changed
