"""The workflow builder's form: a definition written as flat form fields, and back.

The builder posts the whole form. `step` repeats once per step, its id, in order; each
step's fields are named `<id>.<field>` (ids are lower case letters, digits, - and _, so
never contain a dot): `<id>.kind`, and for a wait `days` `hours` `minutes` `until_time`
`until_property`; a send `channel` `subject` `body`; a condition `check_type` `check_field`
`check_op` `check_value` `check_segment_id` `check_event` `then` `else`; a wait for an
event `event` `match` (comma separated) `timeout_hours` `on_event` `on_timeout`; an update
`action` `field` `value`; an outbound webhook `url`. The trigger is `trigger.kind`,
`trigger.event`, `trigger.where` ("name=value" lines), `trigger.segment_id`, `trigger.cron`.

Values are passed on as typed (numbers as text): `definition.parse` checks them, and its
errors ("steps.<id>.<field>") are mapped back to the form field they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Segment
from webapp.services.workflows.definition import EXIT, MAX_STEPS, STEP_ID

# What "Add a step" offers: (value, words, the new step's kind and its presets).
ADDABLE = {
    "wait": ("Wait", {"kind": "wait", "days": 1}),
    "email": ("Send an email", {"kind": "send", "channel": "email"}),
    "sms": ("Send an SMS", {"kind": "send", "channel": "sms"}),
    "whatsapp": ("Send a WhatsApp message", {"kind": "send", "channel": "whatsapp"}),
    "condition": ("Condition (if / else)", {"kind": "condition", "check": {"type": "tag"}}),
    "wait_event": ("Wait for an event", {"kind": "wait_event", "timeout_hours": 24}),
    "set_field": ("Update a contact field", {"kind": "update", "action": "set_field"}),
    "add_tag": ("Add a tag", {"kind": "update", "action": "add_tag"}),
    "remove_tag": ("Remove a tag", {"kind": "update", "action": "remove_tag"}),
    "webhook": ("Call a webhook", {"kind": "webhook", "url": "https://"}),
    "exit": ("Exit (end the run)", {"kind": "exit"}),
}
KIND_WORDS = {
    "wait": "Wait",
    "send": "Send",
    "condition": "Condition",
    "wait_event": "Wait for an event",
    "update": "Update the contact",
    "webhook": "Call a webhook",
    "exit": "Exit",
}
_NUMBERS = ("days", "hours", "minutes", "timeout_hours")
# Errors a step's own check raises (not tied to a field by pydantic) and the field at fault.
_MESSAGE_FIELDS = {
    "until_time is HH:MM": "until_time",
    "a wait needs a duration, a time of day or a date property": "days",
    "an email needs a subject": "subject",
    "a field check names the contact field": "check_field",
    "a segment check names the segment (segment_id)": "check_segment_id",
    "an event check names the event": "check_event",
    "a tag check names the tag (value)": "check_value",
    "set_field names the contact field (letters, digits, _)": "field",
    "a tag step names the tag (value)": "value",
}


@dataclass
class Draft:
    """The definition the form describes (unchecked) and the errors reading it found."""

    definition: dict
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Change:
    """An add / remove / move: the new definition, what to focus and what to announce."""

    definition: dict
    focus: str
    message: str


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").replace("\r\n", "\n").strip()


def _trigger(form: Mapping[str, str], errors: dict[str, str]) -> dict:
    kind = _text(form, "trigger.kind") or "manual"
    trigger: dict = {"kind": kind}
    if kind == "event":
        trigger["event"] = _text(form, "trigger.event")
        trigger["where"] = {}
        for n, line in enumerate(_text(form, "trigger.where").splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                errors["trigger.where"] = f"Line {n}: write each filter as name=value."
                continue
            trigger["where"][name.strip()] = value.strip()
    elif kind in ("segment_entered", "segment_exited"):
        trigger["segment_id"] = _text(form, "trigger.segment_id") or 0
    elif kind == "schedule":
        trigger["cron"] = " ".join(_text(form, "trigger.cron").split())
        trigger["segment_id"] = _text(form, "trigger.segment_id") or None
    return trigger


def _step(form: Mapping[str, str], step_id: str) -> dict:
    def get(name: str) -> str:
        return _text(form, f"{step_id}.{name}")

    kind = get("kind")
    step: dict = {"id": step_id, "kind": kind}
    if kind == "wait":
        for name in ("days", "hours", "minutes"):
            if get(name):
                step[name] = get(name)
        for name in ("until_time", "until_property"):
            if get(name):
                step[name] = get(name)
    elif kind == "send":
        step.update(channel=get("channel") or "email", body=get("body"))
        step["subject"] = " ".join(get("subject").split()) if step["channel"] == "email" else ""
    elif kind == "condition":
        check = {"type": get("check_type") or "field"}
        for name in ("field", "op", "value", "event"):
            if get(f"check_{name}"):
                check[name] = get(f"check_{name}")
        if get("check_segment_id"):
            check["segment_id"] = get("check_segment_id")
        step.update(check=check, then=get("then"))
        step["else"] = get("else")
    elif kind == "wait_event":
        step.update(event=get("event"), on_event=get("on_event"), on_timeout=get("on_timeout"))
        step["match"] = [m.strip() for m in get("match").split(",") if m.strip()]
        step["timeout_hours"] = get("timeout_hours")
    elif kind == "update":
        step.update(action=get("action") or "set_field", value=get("value"))
        if step["action"] == "set_field":
            step["field"] = get("field")
    elif kind == "webhook":
        step["url"] = get("url")
    return step


def definition_from_form(form) -> Draft:
    """The definition the builder's fields describe; `definition.parse` checks it."""
    errors: dict[str, str] = {}
    ids: list[str] = []
    for step_id in form.getlist("step")[: MAX_STEPS + 1]:
        if STEP_ID.match(step_id) and step_id not in ids:
            ids.append(step_id)
    return Draft(
        {"trigger": _trigger(form, errors), "steps": [_step(form, i) for i in ids]}, errors
    )


def action_of(form) -> str:
    """The button pressed: "add" takes the kind chosen beside it."""
    action = form.get("action") or ""
    return f"add:{form.get('add_kind', '')}" if action == "add" else action


def new_id(base: str, taken: set[str]) -> str:
    n = 1
    while f"{base}_{n}" in taken or f"{base}_{n}" == EXIT:
        n += 1
    return f"{base}_{n}"


def apply_action(definition: dict, action: str) -> Change:
    """Add a step (`add:<what>`), remove one (`remove:<id>`), move one (`up:<id>`,
    `down:<id>`) or re-show the form (`refresh:<field id>`, after a choice that changes
    which fields a step or the trigger has). Nothing is saved."""
    verb, _sep, arg = action.partition(":")
    steps = list(definition.get("steps") or [])
    ids = [s["id"] for s in steps]
    if verb == "add" and arg in ADDABLE and len(steps) < MAX_STEPS:
        words, preset = ADDABLE[arg]
        step = {"id": new_id(arg, set(ids)), **preset}
        steps.append(step)
        message = f"Step {len(steps)} added at the end: {words} ({step['id']})."
        return Change({**definition, "steps": steps}, f"step-{step['id']}", message)
    if arg in ids:
        i = ids.index(arg)
        if verb == "remove":
            removed = steps.pop(i)
            message = f"Step {i + 1} ({removed['id']}) removed."
            if not steps:
                return Change({**definition, "steps": steps}, "add-step", message)
            focus = f"step-{steps[max(i - 1, 0)]['id']}"
            return Change({**definition, "steps": steps}, focus, message)
        j = i - 1 if verb == "up" else i + 1 if verb == "down" else i
        if verb in ("up", "down") and 0 <= j < len(steps):
            steps[i], steps[j] = steps[j], steps[i]
            message = f"Step {arg} moved {verb} to position {j + 1} of {len(steps)}."
            # Keep focus on the button pressed, or on the other one at either end of the list.
            edge = (verb == "up" and j == 0) or (verb == "down" and j == len(steps) - 1)
            button = {"up": "down", "down": "up"}[verb] if edge else verb
            return Change({**definition, "steps": steps}, f"{button}-{arg}", message)
    if verb == "refresh":
        return Change(definition, arg, "")
    return Change(definition, "", "")


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """`definition.parse` errors by form field: "steps.<id>.<field>" → "<id>.<field>"; an
    error of the whole step goes to its field at fault when known, else to "<id>"."""
    out: dict[str, str] = {}
    for path, message in errors.items():
        parts = path.split(".")
        if parts[0] == "trigger":
            name = f"trigger.{parts[1]}" if len(parts) > 1 else "trigger.kind"
        elif parts[0] == "steps" and len(parts) > 1:
            step_id, rest = parts[1], parts[2:]
            if rest[:1] == ["check"]:
                rest = [f"check_{rest[1]}"] if len(rest) > 1 else []
            at_fault = rest[0] if rest else _MESSAGE_FIELDS.get(message)
            name = f"{step_id}.{at_fault}" if at_fault else step_id
        else:
            name = parts[0] if parts[0] in ("steps", "trigger") else "definition"
        out.setdefault(name, message)
    return out


def segment_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """The workspace's segments, for the trigger's and a condition's segment choice."""
    return list(
        session.execute(
            select(Segment.id, Segment.name)
            .where(Segment.org_id == org_id)
            .order_by(Segment.name, Segment.id)
        ).all()
    )
