"""A contact's events for its page: newest first, a page at a time, with the few properties
worth showing in a line."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Event

PER_PAGE = 10  # the lead page shows one page above its own timeline
KEY_PROPERTIES = 4  # shown on the line; the rest behind "all properties"
VALUE_CHARS = 60


@dataclass
class EventPage:
    rows: list[Event]
    page: int
    per_page: int
    has_next: bool


def lead_events(
    session: Session, org_id: int, lead_id: int, page: int = 1, per_page: int = PER_PAGE
) -> EventPage:
    """Page `page` (from 1) of the contact's events, newest first (by when they happened).
    `has_next` comes from reading one row more, so no count is needed."""
    page = max(1, page)
    rows = list(
        session.scalars(
            select(Event)
            .where(Event.org_id == org_id, Event.lead_id == lead_id)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return EventPage(rows[:per_page], page, per_page, len(rows) > per_page)


def key_properties(properties: dict | None, limit: int = KEY_PROPERTIES) -> list[tuple[str, str]]:
    """The first `limit` properties as (name, short text): plain values as they are, lists
    and objects as compact JSON, each cut to VALUE_CHARS characters."""
    out = []
    for name, value in list((properties or {}).items())[:limit]:
        if isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif value is None:
            text = "—"
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append((name, text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"))
    return out
