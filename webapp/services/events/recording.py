"""Recording events: a batch from the API (`record_events`) or one of the product's own
happenings (`record_product_event`).

De-duplication is the table's unique (workspace, message id): each row goes in with
INSERT … ON CONFLICT DO NOTHING RETURNING, so a message id already stored — by an earlier
call, by a call committing at the same moment (PostgreSQL makes the second wait on the
index, then skip), or earlier in the same batch — stores nothing and answers "duplicate"
with the first event's id. An event without a message id gets a random one: a retried call
without a message id is stored twice, so senders that retry should send their own.

`event_recorded` is sent once per new row, after it is written, never for a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import JSON, bindparam, select, text
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.core.db import begin_write
from webapp.core.errors import NotFound
from webapp.models import Event, Organization
from webapp.models.types import UTCDateTime
from webapp.services.events.checks import (
    EventInvalid,
    check_message_id,
    check_name,
    check_properties,
    check_timestamp,
)
from webapp.services.events.contacts import ContactRef, resolve_contacts

MAX_BATCH = 500

# INSERT … ON CONFLICT DO NOTHING RETURNING, the same text on SQLite and PostgreSQL. Written
# as text because SQLAlchemy 2.0 cannot cache its dialect `insert` with an ON CONFLICT
# clause (`inherit_cache = False`): built with `dialect_insert`, every product event paid a
# fresh compile (~2 ms, five times the rest of capturing a lead). A text statement compiles once.
_INSERT = text(
    "INSERT INTO events (org_id, lead_id, name, properties, message_id, source, occurred_at,"
    " received_at) VALUES (:org_id, :lead_id, :name, :properties, :message_id, :source,"
    " :occurred_at, :received_at) ON CONFLICT (org_id, message_id) DO NOTHING RETURNING id"
).bindparams(
    bindparam("properties", type_=JSON()),
    bindparam("occurred_at", type_=UTCDateTime()),
    bindparam("received_at", type_=UTCDateTime()),
)


@dataclass
class EventIn:
    """One event as a sender gave it; `record_events` checks every part."""

    name: object
    contact: ContactRef = field(default_factory=ContactRef)
    properties: object = None
    message_id: object = None
    timestamp: datetime | None = None


@dataclass
class EventResult:
    """What became of one event: stored (new), duplicate (its message id was stored
    before; `event_id` is that event's) or error (`field` and `error` say why)."""

    index: int
    status: str
    event_id: int | None = None
    lead_id: int | None = None
    message_id: str | None = None
    field: str | None = None
    error: str | None = None


def record_events(
    session: Session, org_id: int, items: list[EventIn], *, now: datetime
) -> list[EventResult]:
    """Store a batch of API events (at most MAX_BATCH): one result per item, in order. A bad
    item gets its error and the good ones are kept. Flushes, never commits."""
    if len(items) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} events per call")
    # SQLite: reads, then writes; take the write lock first (webapp/core/db.py).
    begin_write(session)
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"No workspace {org_id}.")
    results: list[EventResult | None] = [None] * len(items)
    checked: list[tuple[int, dict]] = []
    for i, item in enumerate(items):
        try:
            checked.append((i, _checked_row(item, now)))
        except EventInvalid as exc:
            results[i] = EventResult(i, "error", field=exc.field, error=exc.message)
    refs = [(i, items[i].contact) for i, _row in checked]
    leads = resolve_contacts(session, org, refs, now=now) if refs else {}
    rows: list[tuple[int, dict]] = []
    for i, row in checked:
        lead = leads[i]
        if isinstance(lead, EventInvalid):
            results[i] = EventResult(
                i, "error", message_id=row["message_id"], field=lead.field, error=lead.message
            )
        else:
            rows.append((i, {**row, "org_id": org_id, "lead_id": lead, "source": "api"}))
    stored = _store(session, org_id, [row for _i, row in rows], now)
    for (i, _row), result in zip(rows, stored, strict=True):
        result.index = i
        results[i] = result
    return results  # type: ignore[return-value]


def _checked_row(item: EventIn, now: datetime) -> dict:
    return {
        "name": check_name(item.name),
        "properties": check_properties(item.properties),
        "message_id": check_message_id(item.message_id),
        "occurred_at": check_timestamp(item.timestamp, now),
    }


def record_product_event(
    session: Session,
    org_id: int,
    lead_id: int,
    name: str,
    properties: dict | None = None,
    *,
    message_id: str,
    now: datetime,
    occurred_at: datetime | None = None,
) -> int | None:
    """Store one of the product's own happenings (source "product") for a contact of the
    workspace. `message_id` is derived from what happened ("open:<send id>"), so the same
    happening told twice is stored once. Returns the new event's id, None for a repeat.
    Raises EventInvalid for a malformed name or properties (a programming error)."""
    row = {
        "org_id": org_id,
        "lead_id": lead_id,
        "name": check_name(name),
        "properties": check_properties(properties),
        "message_id": check_message_id(message_id),
        "occurred_at": occurred_at or now,
        "source": "product",
    }
    result = _store(session, org_id, [row], now)[0]
    return result.event_id if result.status == "stored" else None


def _store(session: Session, org_id: int, rows: list[dict], now: datetime) -> list[EventResult]:
    """Insert the rows (ignoring message ids already stored), tell `event_recorded` about
    each new one, and return a result per row in order (index left at 0)."""
    if not rows:
        return []
    new: dict[str, int] = {}
    for row in rows:
        event_id = session.execute(_INSERT, {**row, "received_at": now}).scalar_one_or_none()
        if event_id is not None:
            new[row["message_id"]] = event_id
    seen = _stored_before(session, org_id, {r["message_id"] for r in rows} - set(new))
    results = []
    for row in rows:
        message_id = row["message_id"]
        if message_id in new and message_id not in seen:  # the first row with this id
            seen[message_id] = (new[message_id], row["lead_id"])
            results.append(EventResult(0, "stored", new[message_id], row["lead_id"], message_id))
            _tell(session, row, new[message_id], now)
            continue
        event_id, lead_id = seen[message_id]
        results.append(EventResult(0, "duplicate", event_id, lead_id, message_id))
    return results


def _stored_before(session: Session, org_id: int, message_ids: set[str]) -> dict:
    if not message_ids:
        return {}
    rows = session.execute(
        select(Event.message_id, Event.id, Event.lead_id).where(
            Event.org_id == org_id, Event.message_id.in_(sorted(message_ids))
        )
    )
    return {message_id: (event_id, lead_id) for message_id, event_id, lead_id in rows}


def _tell(session: Session, row: dict, event_id: int, now: datetime) -> None:
    signals.send(
        signals.event_recorded,
        session=session,
        org_id=row["org_id"],
        lead_id=row["lead_id"],
        event_id=event_id,
        name=row["name"],
        properties=row["properties"],
        occurred_at=row["occurred_at"],
        source=row["source"],
        message_id=row["message_id"],
        now=now,
    )
