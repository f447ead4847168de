"""JSON API for events: POST /api/v1/events, one event or {"events": [...]} (up to 500).

One event: 201 stored, 200 duplicate (its message id was stored before), 422 naming the
field at fault. A batch: 200 with a result per event (stored, duplicate or error with its
field); the good events of a batch are kept whatever the others hold. A malformed
envelope (not JSON, `events` not a list of 1 to 500) is refused whole with 400/422.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from pydantic import ValidationError

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.events import MAX_BATCH, ContactRef, EventIn, EventResult, record_events
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.event_schemas import (
    EventInput,
    EventItemError,
    EventItemResult,
    EventRequest,
    EventResults,
)
from webapp.web.api.spec import operation
from webapp.web.api.views import bp

JSON_REQUIRED = (
    'Send a JSON object with `Content-Type: application/json`: one event such as {"name": '
    '"order.placed", "contact": {"email": "ana@example.com"}}, or {"events": [...]}.'
)
BAD_BATCH = f"must be a list of 1 to {MAX_BATCH} events"


@bp.post("/events")
@operation(
    "Record one event, or a batch of up to 500",
    operation_id="recordEvents",
    body=EventRequest,
    answers={
        201: (EventResults, "One event: stored."),
        200: (EventResults, "One event: a duplicate; a batch: a result per event."),
    },
    errors=(400, 422),
)
@api_key_required
def record() -> tuple[Response, int]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        return api_error(400, "json_required", JSON_REQUIRED)
    batch = "events" in data
    problems = _envelope_problems(data) if batch else {}
    if problems:
        return api_error(
            422, "invalid_batch", "The batch is not valid; see `fields`.", fields=problems
        )
    items = data["events"] if batch else [data]
    results = _record(items)
    db.session.commit()
    body = EventResults(
        results=[_out(r) for r in results],
        stored=sum(r.status == "stored" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        errors=sum(r.status == "error" for r in results),
    )
    if not batch and results[0].status == "error":
        fields = {results[0].field or "body": results[0].error or "is not valid"}
        return api_error(
            422, "invalid_event", "The event is not valid; see `fields`.", fields=fields
        )
    status = 201 if not batch and results[0].status == "stored" else 200
    return jsonify(body.model_dump(mode="json")), status


def _envelope_problems(data: dict) -> dict[str, str]:
    """What is wrong with a batch's envelope: `events` not a list of 1 to MAX_BATCH, or
    other fields beside it."""
    problems = {name: "not allowed beside `events`" for name in set(data) - {"events"}}
    events = data["events"]
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_BATCH:
        problems["events"] = BAD_BATCH
    return problems


def _record(items: list[Any]) -> list[EventResult]:
    """Validate each item on its own, record the valid ones in one call, and merge the
    results back in request order."""
    results: list[EventResult | None] = [None] * len(items)
    valid: list[tuple[int, EventIn]] = []
    for i, item in enumerate(items):
        try:
            event = EventInput.model_validate(item)
        except ValidationError as exc:
            field, message = _first_problem(exc)
            results[i] = EventResult(i, "error", field=field, error=message)
            continue
        valid.append((i, _event_in(event)))
    recorded = record_events(
        db.session, g.api_org_id, [event for _i, event in valid], now=clock.now()
    )
    for (i, _event), result in zip(valid, recorded, strict=True):
        result.index = i
        results[i] = result
    return results  # type: ignore[return-value]


def _first_problem(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "event"
    if error["type"] == "model_type":
        return "event", "must be a JSON object"
    if error["type"] == "missing":
        return field, "is required"
    if error["type"] == "extra_forbidden":
        return field, "is not a field of an event"
    return field, error["msg"]


def _event_in(event: EventInput) -> EventIn:
    contact = event.contact
    return EventIn(
        name=event.name,
        contact=ContactRef(
            id=contact.id,
            email=contact.email,
            phone=contact.phone,
            name=contact.name,
            create=event.create_contact,
        ),
        properties=event.properties,
        message_id=event.message_id,
        timestamp=event.timestamp,
    )


def _out(result: EventResult) -> EventItemResult:
    error = None
    if result.status == "error":
        error = EventItemError(field=result.field or "event", message=result.error or "")
    return EventItemResult(
        index=result.index,
        status=result.status,  # type: ignore[arg-type]
        event_id=result.event_id,
        contact_id=result.lead_id,
        message_id=result.message_id,
        error=error,
    )
