"""Who agreed to hear from the coach on WhatsApp.

WhatsApp's rules (and good manners) ask for an opt-in before a business writes first. A
contact has one when it wrote to the business on WhatsApp itself, or when it arrived with a
`whatsapp_consent` field saying yes (a form's tick box, the API, a CSV column). A phone
number alone — a CSV import, a contact typed in by hand — is no consent.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from webapp.models import Conversation, Lead

FIELD = "whatsapp_consent"  # kept in Lead.extra as text by the capture pipeline
YES = ("yes", "y", "true", "1", "on", "ja", "sí", "si", "oui")


def whatsapp_consent():
    """The SQL condition on Lead: the contact agreed to WhatsApp messages."""
    wrote_to_us = exists().where(
        Conversation.lead_id == Lead.id,
        Conversation.channel == "whatsapp",
        Conversation.last_inbound_at.is_not(None),
    )
    said_yes = func.lower(func.trim(Lead.extra[FIELD].as_string())).in_(YES)
    return or_(wrote_to_us, said_yes)


def consented(session: Session, lead_ids: Iterable[int]) -> set[int]:
    """Those of `lead_ids` whose contact agreed to WhatsApp messages."""
    ids = list(lead_ids)
    if not ids:
        return set()
    return set(session.scalars(select(Lead.id).where(Lead.id.in_(ids), whatsapp_consent())))
