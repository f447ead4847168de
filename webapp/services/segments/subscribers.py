"""What the segments area does when another area says a contact changed: re-evaluate that
one contact in the segments that read what changed (connected in the segments blueprint)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.core import clock
from webapp.services.segments.membership import ANY_CHANGE, Change, evaluate_contact

# contact_changed's `change` -> the rule fields it can move; "notes" moves none.
CHANGED_FIELDS = {
    "status": Change(fields=frozenset({"status"})),
    "consent": Change(fields=frozenset({"subscribed"})),
    "notes": None,
}


def on_lead_captured(
    _app, *, session: Session, org_id: int, lead_id: int, now: datetime, **_: object
) -> None:
    evaluate_contact(session, org_id, lead_id, ANY_CHANGE, now)


def on_contact_changed(
    _app, *, session: Session, org_id: int, lead_id: int, change: str, now: datetime, **_: object
) -> None:
    what = CHANGED_FIELDS.get(change, ANY_CHANGE)  # a merge or anything new: all of it
    if what is not None:
        evaluate_contact(session, org_id, lead_id, what, now)


def on_event_recorded(
    _app,
    *,
    session: Session,
    org_id: int,
    lead_id: int,
    name: str,
    now: datetime | None = None,
    **_: object,
) -> None:
    # Windows ("in the last 30 days") count back from the moment of evaluation, not from
    # the event's own time: a back-dated event must not stretch them.
    at = now or clock.now()
    evaluate_contact(session, org_id, lead_id, Change(events=frozenset({name})), at)
