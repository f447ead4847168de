"""Finding the contact each event of a batch is about: by id, email or phone, normalised the
way the leads area stores them; an unknown one is created only when the event asks.

A created contact goes through the leads area's one capture path (`capture_lead`), so it
is scored, enrolled, explained in the activity feed and announced with `lead_captured`
like any other new lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.models import Lead, Organization
from webapp.services.events.checks import EventInvalid
from webapp.services.leads import (
    FieldError,
    LeadInvalid,
    capture_lead,
    clean_email,
    clean_phone,
    region_for,
)

MAX_CONTACT_NAME = 200
NO_CONTACT = "give the contact's id, email or phone"
UNKNOWN = "no contact with this {what} in this workspace; send create_contact: true to create one"


@dataclass
class ContactRef:
    """Who an event is about, as the sender named them."""

    id: object = None
    email: object = None
    phone: object = None
    name: object = None  # only used to create the contact
    create: bool = False


@dataclass
class _Wanted:
    index: int
    ref: ContactRef
    lead_id: int | None = None
    email: str | None = None
    phone: str | None = None


def resolve_contacts(
    session: Session, org: Organization, refs: list[tuple[int, ContactRef]], *, now: datetime
) -> dict[int, int | EventInvalid]:
    """{index: lead id, or EventInvalid naming the contact field at fault} for each ref.

    Looks every id, email and phone of the batch up in two queries; creates the unknown
    contacts whose ref says `create` (one capture each, so two events of one new contact
    in a batch create it once)."""
    out: dict[int, int | EventInvalid] = {}
    wanted: list[_Wanted] = []
    region = region_for(org.timezone)
    for index, ref in refs:
        try:
            wanted.append(_clean(index, ref, region))
        except EventInvalid as exc:
            out[index] = exc
    known_ids = _known_ids(session, org.id, {w.lead_id for w in wanted if w.lead_id})
    by_email, by_phone = _by_address(session, org.id, wanted)
    for w in wanted:
        if w.lead_id is not None:
            found = w.lead_id if w.lead_id in known_ids else None
            out[w.index] = found or EventInvalid("contact.id", "no such contact in this workspace")
            continue
        found = by_email.get(w.email) or by_phone.get(w.phone)
        if found is None and w.ref.create:
            try:
                found = _create(session, org.id, w, now)
            except EventInvalid as exc:
                out[w.index] = exc
                continue
            if w.email:
                by_email[w.email] = found
            if w.phone:
                by_phone[w.phone] = found
        what = "email" if w.email else "phone"
        out[w.index] = found or EventInvalid(f"contact.{what}", UNKNOWN.format(what=what))
    return out


def _clean(index: int, ref: ContactRef, region: str | None) -> _Wanted:
    if ref.id is not None:
        if isinstance(ref.id, bool) or not isinstance(ref.id, int) or ref.id < 1:
            raise EventInvalid("contact.id", "must be a positive whole number")
        return _Wanted(index, ref, lead_id=ref.id)
    wanted = _Wanted(index, ref)
    for field, clean in (("email", clean_email), ("phone", lambda v: clean_phone(v, region))):
        value = getattr(ref, field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise EventInvalid(f"contact.{field}", "must be text")
        try:
            setattr(wanted, field, clean(value))
        except FieldError as exc:
            raise EventInvalid(f"contact.{field}", str(exc)) from None
    if wanted.email is None and wanted.phone is None:
        raise EventInvalid("contact", NO_CONTACT)
    if ref.name is not None and (not isinstance(ref.name, str) or len(ref.name) > MAX_CONTACT_NAME):
        raise EventInvalid("contact.name", f"must be text of at most {MAX_CONTACT_NAME} characters")
    return wanted


def _known_ids(session: Session, org_id: int, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Lead.id).where(Lead.org_id == org_id, Lead.id.in_(ids))))


def _by_address(session: Session, org_id: int, wanted: list[_Wanted]) -> tuple[dict, dict]:
    """{email: lead id} and {phone: lead id}, the oldest contact holding each."""
    emails = sorted({w.email for w in wanted if w.email})
    phones = sorted({w.phone for w in wanted if w.phone})
    conditions = []
    if emails:
        conditions.append(Lead.email.in_(emails))
    if phones:
        conditions.append(Lead.phone.in_(phones))
    by_email: dict = {}
    by_phone: dict = {}
    if not conditions:
        return by_email, by_phone
    rows = session.execute(
        select(Lead.id, Lead.email, Lead.phone)
        .where(Lead.org_id == org_id, or_(*conditions))
        .order_by(Lead.id)
    )
    for lead_id, email, phone in rows:
        if email:
            by_email.setdefault(email, lead_id)
        if phone:
            by_phone.setdefault(phone, lead_id)
    return by_email, by_phone


def _create(session: Session, org_id: int, w: _Wanted, now: datetime) -> int:
    data = {"email": w.email, "phone": w.phone, "name": w.ref.name or ""}
    try:
        lead, _created = capture_lead(session, org_id, data, source="api", now=now)
    except LeadInvalid as exc:
        field, message = next(iter(exc.errors.items()))
        raise EventInvalid(f"contact.{field}", message) from None
    return lead.id
