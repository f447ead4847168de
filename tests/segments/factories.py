"""Plain factories for the segments tests: contacts with exact data, events, segments."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from tests.conftest import START
from webapp.core import signals
from webapp.core.extensions import db
from webapp.models import Event, Lead
from webapp.services.segments import manage

_ids = count(1)


def make_lead(org_id: int, name: str, *, created_at: datetime = START, **over) -> Lead:
    """A contact stored as given (no normalising), so a test controls NULLs and JSON types."""
    data = dict(
        org_id=org_id,
        full_name=name,
        email=f"{name.lower().replace(' ', '.')}@example.com" if name else None,
        company="",
        source="manual",
        status="new",
        score=0,
        score_reasons=[],
        extra={},
        search_text=name.lower(),
        created_at=created_at,
        updated_at=created_at,
    )
    data.update(over)
    lead = Lead(**data)
    db.session.add(lead)
    db.session.flush()
    return lead


def record_event(
    org_id: int, lead_id: int, name: str, at: datetime, *, now: datetime | None = None, **props
) -> Event:
    """Store an event and tell the subscribers, as the events area does."""
    event = Event(
        org_id=org_id,
        lead_id=lead_id,
        name=name,
        properties=props,
        message_id=f"test-{next(_ids)}",
        source="api",
        occurred_at=at,
        received_at=at,
    )
    db.session.add(event)
    db.session.flush()
    signals.send(
        signals.event_recorded,
        session=db.session,
        org_id=org_id,
        lead_id=lead_id,
        name=name,
        properties=props,
        occurred_at=at,
        event_id=event.id,
        now=now or at,
    )
    return event


def rule(field: str, operator: str, value=None, **extra) -> dict:
    return {"kind": "rule", "field": field, "operator": operator, "value": value, **extra}


def all_of(*rules) -> dict:
    return {"kind": "group", "match": "all", "rules": list(rules)}


def any_of(*rules) -> dict:
    return {"kind": "group", "match": "any", "rules": list(rules)}


def make_segment(org_id: int, name: str, rules: dict, now: datetime = START):
    segment = manage.create_segment(db.session, org_id, name, rules, actor_id=None, now=now)
    db.session.commit()
    return segment


def days(n: float) -> timedelta:
    return timedelta(days=n)
