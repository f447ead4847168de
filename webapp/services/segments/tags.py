"""Contact tags: add, remove, list. A tag change re-evaluates the segments that read it."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.orm import Session

from webapp.core.errors import NotFound
from webapp.core.tenancy import storable_id
from webapp.models import Lead, LeadTag
from webapp.models.types import UTCDateTime
from webapp.services.segments.membership import Change, evaluate_contact
from webapp.services.segments.rules import FieldSpec, _scalar

MAX_TAG = 50
TAG_SPEC = FieldSpec("tag", "Tag", "tag")
# The same text on SQLite (3.35+) and PostgreSQL. Written out because the dialects'
# ON CONFLICT inserts are never cached by SQLAlchemy: compiling one per tag costs more
# than the insert itself.
ADD_TAG = text(
    "INSERT INTO lead_tags (org_id, lead_id, tag, created_at) "
    "VALUES (:org_id, :lead_id, :tag, :created_at) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(bindparam("created_at", type_=UTCDateTime()))


def _check_lead(session: Session, org_id: int, lead_id: int) -> None:
    """NotFound unless the contact is this workspace's (id alone: no object loaded)."""
    leads = Lead.__table__.c
    if (
        not storable_id(lead_id)
        or session.scalar(select(leads.id).where(leads.id == lead_id, leads.org_id == org_id))
        is None
    ):
        raise NotFound(f"No Lead {lead_id} in this workspace.")


def clean_tag(tag: str) -> str:
    """The stored form: whitespace collapsed, lower-cased. Raises ValueError when unusable."""
    text = re.sub(r"\s+", " ", str(tag or "")).strip()
    if len(text) > MAX_TAG:
        raise ValueError(f"a tag has at most {MAX_TAG} characters")
    return str(_scalar(text, "equals", TAG_SPEC))


def add_tag(session: Session, org_id: int, lead_id: int, tag: str, *, now: datetime) -> bool:
    """Tag the workspace's contact; False when it already had the tag. Raises NotFound for
    another workspace's contact and ValueError for an unusable tag."""
    tag = clean_tag(tag)
    _check_lead(session, org_id, lead_id)
    added = session.execute(
        ADD_TAG, {"org_id": org_id, "lead_id": lead_id, "tag": tag, "created_at": now}
    ).first()
    if added is None:
        return False
    evaluate_contact(session, org_id, lead_id, Change(tags=frozenset({tag})), now)
    return True


def remove_tag(session: Session, org_id: int, lead_id: int, tag: str, *, now: datetime) -> bool:
    """Untag the contact; False when it did not have the tag. Raises NotFound."""
    tag = clean_tag(tag)
    _check_lead(session, org_id, lead_id)
    gone = session.scalars(
        delete(LeadTag)
        .where(LeadTag.org_id == org_id, LeadTag.lead_id == lead_id, LeadTag.tag == tag)
        .returning(LeadTag.id)
    ).first()
    if gone is None:
        return False
    evaluate_contact(session, org_id, lead_id, Change(tags=frozenset({tag})), now)
    return True


def tags_of(session: Session, org_id: int, lead_id: int) -> list[str]:
    return list(
        session.scalars(
            select(LeadTag.tag)
            .where(LeadTag.org_id == org_id, LeadTag.lead_id == lead_id)
            .order_by(LeadTag.tag)
        )
    )
