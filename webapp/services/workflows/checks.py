"""What steps decide: when a wait ends, whether a condition holds (and why), whether an
awaited event is there, and contact updates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Event, Lead, Organization
from webapp.services.leads import EDITABLE_FIELDS, change_status, contact_changed, update_fields
from webapp.services.messaging import parse_hhmm, zone
from webapp.services.segments import add_tag, is_member, remove_tag, tags_of

FIELDS = ("email", "phone", "full_name", "company", "status", "source", "timezone")
ACTOR = "A workflow"


def field_value(lead: Lead, name: str) -> object:
    if name in FIELDS or name == "score":
        return getattr(lead, name)
    return (lead.extra or {}).get(name)


def wake_time(step, lead: Lead, org_timezone: str, now: datetime) -> datetime:
    """The end of a wait: the duration, then the next time of day in the contact's zone, or
    the date property (a past or unreadable date ends the wait now)."""
    at = now + timedelta(days=step.days, hours=step.hours, minutes=step.minutes)
    tz = zone(lead.timezone) or zone(org_timezone) or zone("UTC")
    if step.until_time:
        wall = parse_hhmm(step.until_time)
        local = at.astimezone(tz)
        target = local.replace(hour=wall.hour, minute=wall.minute, second=0, microsecond=0)
        if target < local:
            target += timedelta(days=1)
        at = target.astimezone(now.tzinfo)
    if step.until_property:
        raw = str(field_value(lead, step.until_property) or "")
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            try:
                when = datetime.combine(date.fromisoformat(raw[:10]), datetime.min.time())
            except ValueError:
                return now
        if when.tzinfo is None:
            when = when.replace(tzinfo=tz)
        at = max(at, when.astimezone(now.tzinfo))
    return at


def condition(session: Session, execution, check, lead: Lead) -> tuple[bool, str]:
    """Evaluate a condition step's check: (result, the reason in words)."""
    if check.type == "segment":
        member = bool(check.segment_id) and is_member(
            session, execution.org_id, check.segment_id, lead.id
        )
        return member, f"segment #{check.segment_id}: {'a member' if member else 'not a member'}"
    if check.type == "tag":
        has = check.value.strip().lower() in tags_of(session, execution.org_id, lead.id)
        return has, f"tag “{check.value}”: {'has it' if has else 'does not have it'}"
    if check.type == "event":
        event = first_event(session, execution, check.event, {})
        if event is None:
            return False, f"no {check.event} since the run started"
        return True, f"{check.event} happened at {event.occurred_at:%Y-%m-%d %H:%M} UTC"
    value = field_value(lead, check.field)
    text = "" if value is None else str(value)
    result = {
        "equals": text.lower() == check.value.lower(),
        "not_equals": text.lower() != check.value.lower(),
        "contains": check.value.lower() in text.lower(),
        "is_set": bool(text.strip()),
        "is_not_set": not text.strip(),
    }[check.op]
    shown = f"“{text}”" if text else "empty"
    return result, f"{check.field} is {shown} ({check.op.replace('_', ' ')} “{check.value}”)"


def first_event(session: Session, execution, name: str, match: dict) -> Event | None:
    """The first `name` event of the contact since the run started that carries `match`."""
    rows = session.scalars(
        select(Event)
        .where(
            Event.org_id == execution.org_id,
            Event.lead_id == execution.lead_id,
            Event.name == name,
            Event.occurred_at >= execution.started_at,
        )
        .order_by(Event.occurred_at, Event.id)
        .limit(200)
    )
    return next((e for e in rows if matches(e.properties, match)), None)


def matches(properties: dict | None, match: dict) -> bool:
    props = properties or {}
    return all(str(props.get(k)) == str(v) for k, v in match.items())


def wanted(step, trigger: dict) -> dict:
    """The trigger's values of the properties a wait for an event must match."""
    props = (trigger or {}).get("properties") or {}
    return {name: props.get(name) for name in step.match}


def update(session: Session, execution, step, lead: Lead, now: datetime) -> str:
    """A contact update: a tag, a contact field (stored by the leads area's rules: an
    invalid value raises its DomainError, which fails the step) or a custom attribute.
    Fields and attributes tell `contact_changed`, so the segments that read them follow."""
    if step.action == "add_tag":
        add_tag(session, execution.org_id, lead.id, step.value, now=now)
        return f"Tag “{step.value}” added."
    if step.action == "remove_tag":
        remove_tag(session, execution.org_id, lead.id, step.value, now=now)
        return f"Tag “{step.value}” removed."
    field = "full_name" if step.field == "name" else step.field
    if field == "status":
        changed = change_status(
            session, lead, step.value.strip().lower(), now=now, actor_id=None, actor_name=ACTOR
        )
    elif field in EDITABLE_FIELDS:
        org = session.get(Organization, execution.org_id)
        changed = update_fields(
            session,
            lead,
            {field: step.value},
            org_timezone=org.timezone,
            now=now,
            actor_id=None,
            actor_name=ACTOR,
        )
    else:
        changed = (lead.extra or {}).get(field) != step.value
        if changed:
            lead.extra = {**(lead.extra or {}), field: step.value}
            lead.updated_at = now
            session.flush()  # the segments the signal re-evaluates read the stored row
            contact_changed(session, lead, "fields", {"fields": [field]}, None, now)
    shown = getattr(lead, field) if field in FIELDS else step.value
    return f"{step.field} set to “{shown}”." if changed else f"{step.field} was “{shown}” already."
