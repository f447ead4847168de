"""A segment's rules: a tree of AND / OR groups whose leaves compare one contact fact.

    {"kind": "group", "match": "all", "rules": [
        {"kind": "rule", "field": "status", "operator": "equals", "value": "won"},
        {"kind": "rule", "field": "tag", "operator": "equals", "value": "vip"},
        {"kind": "rule", "field": "event", "event": "order.placed",
         "operator": "at_least", "value": 2, "days": 30}]}

`parse_rules` checks a tree against the field whitelist, the workspace's declared custom
attributes and the caps, and returns it normalised (values in their typed form), or raises
RulesInvalid with one message per offending rule, named by its position ("Rule 2.1").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from webapp.core.errors import DomainError
from webapp.models.lead import LEAD_STATUSES

MAX_DEPTH = 3  # groups inside groups inside the top group
MAX_RULES = 40
MAX_LIST = 100
MAX_TEXT = 200
MAX_DAYS = 3650
MAX_COUNT = 10_000
EVENT_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
RELATIVE = re.compile(r"^\s*(\d{1,4})\s+days?\s+ago\s*$", re.IGNORECASE)


class RulesInvalid(DomainError):
    """The rules cannot be used; `errors` maps a rule's position ("Rule 2.1") to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{where}: {why}" for where, why in errors.items()))


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["rule"] = "rule"
    field: str = Field(max_length=80)
    operator: str = Field(max_length=30)
    value: Any = None
    event: str | None = None  # the event an "event" rule counts
    days: int | None = None  # the window of an "event" rule (None: ever)


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["group"] = "group"
    match: Literal["all", "any"] = "all"
    rules: list[Annotated[Rule | Group, Field(discriminator="kind")]] = Field(default_factory=list)


# --- fields and operators --------------------------------------------------------------

TEXT_OPS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "in",
    "not_in",
    "is_set",
    "is_not_set",
)
NUMBER_OPS = ("equals", "not_equals", "greater_than", "less_than", "in", "not_in")
NUMBER_OPS += ("is_set", "is_not_set")
DATE_OPS = ("before", "after", "within_last", "is_set", "is_not_set")
BOOLEAN_OPS = ("equals", "not_equals", "is_set", "is_not_set")
OPERATORS = {
    "text": TEXT_OPS,
    "enum": ("equals", "not_equals", "in", "not_in"),
    "number": NUMBER_OPS,
    "date": DATE_OPS,
    "boolean": ("equals", "not_equals"),
    "tag": ("equals", "not_equals", "in", "not_in"),
    "event": ("at_least", "at_most"),
    "engagement": ("within_last", "not_within_last"),
    "segment": ("equals", "not_equals"),
}
ATTRIBUTE_KINDS = {"string": "text", "number": "number", "boolean": "boolean", "date": "date"}
ATTRIBUTE_OPS = {**OPERATORS, "boolean": BOOLEAN_OPS}
OPERATOR_LABELS = {
    "equals": "is",
    "not_equals": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "in": "is one of",
    "not_in": "is none of",
    "is_set": "is set",
    "is_not_set": "is not set",
    "greater_than": "is more than",
    "less_than": "is less than",
    "before": "is before",
    "after": "is after",
    "within_last": "in the last (days)",
    "not_within_last": "not in the last (days)",
    "at_least": "at least (times)",
    "at_most": "at most (times)",
}
TAG_LABELS = {"equals": "has", "not_equals": "does not have", "in": "has any of"}
TAG_LABELS |= {"not_in": "has none of"}
SEGMENT_LABELS = {"equals": "is in", "not_equals": "is not in"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # a key of OPERATORS
    column: str | None = None  # the `leads` column, for contact fields
    attribute_type: str | None = None  # for custom attributes


CONTACT_FIELDS = {
    f.name: f
    for f in (
        FieldSpec("name", "Name", "text", "full_name"),
        FieldSpec("email", "Email", "text", "email"),
        FieldSpec("phone", "Phone", "text", "phone"),
        FieldSpec("company", "Company", "text", "company"),
        FieldSpec("source", "Source", "text", "source"),
        FieldSpec("status", "Status", "enum", "status"),
        FieldSpec("score", "Score", "number", "score"),
        FieldSpec("created_at", "Created", "date", "created_at"),
        FieldSpec("timezone", "Time zone", "text", "timezone"),
        FieldSpec("subscribed", "Subscribed", "boolean", "unsubscribed_at"),
    )
}
SPECIAL_FIELDS = {
    f.name: f
    for f in (
        FieldSpec("tag", "Tag", "tag"),
        FieldSpec("event", "Event", "event"),
        FieldSpec("email_opened", "Opened an email", "engagement"),
        FieldSpec("email_clicked", "Clicked an email", "engagement"),
        FieldSpec("segment", "Segment", "segment"),
    )
}


def field_specs(attributes: dict[str, str]) -> dict[str, FieldSpec]:
    """Every field a rule may name: contact fields, the special ones and `attr.<key>` for
    each declared custom attribute (`attributes`: key -> type)."""
    specs = dict(CONTACT_FIELDS) | SPECIAL_FIELDS
    for key, type_ in sorted(attributes.items()):
        specs[f"attr.{key}"] = FieldSpec(
            f"attr.{key}", key, ATTRIBUTE_KINDS[type_], attribute_type=type_
        )
    return specs


def operators_for(spec: FieldSpec) -> tuple[str, ...]:
    return (ATTRIBUTE_OPS if spec.attribute_type else OPERATORS)[spec.kind]


def operator_label(spec: FieldSpec, op: str) -> str:
    if spec.kind == "tag":
        return TAG_LABELS[op]
    if spec.kind == "segment":
        return SEGMENT_LABELS[op]
    return OPERATOR_LABELS[op]


# --- parsing ---------------------------------------------------------------------------


def parse_rules(raw: object, attributes: dict[str, str]) -> Group:
    """The rule tree `raw` checked and normalised. Raises RulesInvalid naming each bad rule."""
    try:
        tree = Group.model_validate(raw)
    except ValidationError as exc:
        raise RulesInvalid(_pydantic_errors(exc)) from exc
    errors: dict[str, str] = {}
    specs = field_specs(attributes)
    count = _walk(tree, "", 1, specs, errors)
    if count > MAX_RULES:
        errors["Rules"] = f"at most {MAX_RULES} rules in a segment (this one has {count})"
    if errors:
        raise RulesInvalid(errors)
    return tree


def _pydantic_errors(exc: ValidationError) -> dict[str, str]:
    errors = {}
    for err in exc.errors()[:10]:
        path = [str(p + 1) for p in err["loc"] if isinstance(p, int)]
        where = f"Rule {'.'.join(path)}" if path else "Rules"
        errors.setdefault(where, err["msg"])
    return errors


def _walk(group: Group, prefix: str, depth: int, specs: dict, errors: dict) -> int:
    where = f"Group {prefix.rstrip('.')}" if prefix else "Rules"
    if depth > MAX_DEPTH:
        errors[where] = f"groups nest at most {MAX_DEPTH} deep"
        return 0
    if not group.rules:
        errors[where] = "add at least one rule"
    count = 0
    for i, child in enumerate(group.rules, 1):
        if isinstance(child, Group):
            count += _walk(child, f"{prefix}{i}.", depth + 1, specs, errors)
            continue
        count += 1
        try:
            _check_rule(child, specs)
        except ValueError as exc:
            errors[f"Rule {prefix}{i}"] = str(exc)
    return count


def _check_rule(rule: Rule, specs: dict[str, FieldSpec]) -> None:
    """Normalise `rule` in place, or raise ValueError with what is wrong with it."""
    spec = specs.get(rule.field)
    if spec is None:
        if rule.field.startswith("attr."):
            raise ValueError(f"unknown custom attribute {rule.field[5:]!r}: declare it first")
        raise ValueError(f"unknown field {rule.field!r}")
    if rule.operator not in operators_for(spec):
        raise ValueError(f"{spec.label} cannot use the operator {rule.operator!r}")
    if spec.kind == "event":
        name = str(rule.event or "").strip()
        if not EVENT_NAME.match(name):
            raise ValueError("name the event, such as order.placed")
        rule.event = name
        rule.value = _int(rule.value, "the number of times", 0, MAX_COUNT)
        rule.days = None if rule.days in (None, "") else _int(rule.days, "days", 1, MAX_DAYS)
        return
    rule.event = rule.days = None
    if rule.operator in ("is_set", "is_not_set"):
        rule.value = None
    elif rule.operator in ("in", "not_in"):
        rule.value = _list(rule.value, spec)
    else:
        rule.value = _scalar(rule.value, rule.operator, spec)


def _list(value: object, spec: FieldSpec) -> list:
    items = value if isinstance(value, list) else str(value or "").split(",")
    items = [i for i in items if str(i).strip() != ""]
    if not items:
        raise ValueError("give at least one value")
    if len(items) > MAX_LIST:
        raise ValueError(f"at most {MAX_LIST} values in a list")
    return list(dict.fromkeys(_scalar(i, "equals", spec) for i in items))


def _scalar(value: object, op: str, spec: FieldSpec) -> object:
    kind = spec.kind
    if op in ("within_last", "not_within_last"):
        return _int(value, "days", 1, MAX_DAYS)
    if kind == "number":
        return _number(value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "date":
        return _date(value)
    if kind == "segment":
        return _int(value, "the segment", 1, 2**63 - 1)
    text = str(value if value is not None else "").strip()
    if not text:
        raise ValueError("give a value")
    if len(text) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    if kind == "enum" and text.lower() not in LEAD_STATUSES:
        raise ValueError(f"status is one of {', '.join(LEAD_STATUSES)}")
    if kind == "tag" or spec.name in ("email", "status", "source"):
        return text.lower()  # stored lower-cased
    return text


def _int(value: object, what: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low} and {high}")
    return number


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("give a number")
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError("give a number") from None
    if number != number or abs(number) > 1e15:  # NaN, or beyond exact doubles
        raise ValueError("give a number")
    return number


def _boolean(value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValueError("choose yes or no")


def _date(value: object) -> str:
    """An ISO date ("2026-11-01") or a relative one ("30 days ago"), kept as written."""
    text = str(value or "").strip()
    match = RELATIVE.match(text)
    if match:
        days = int(match.group(1))
        if days > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days ago")
        return f"{days} days ago"
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError("give a date (2026-11-01) or a relative one (30 days ago)") from None


# --- what a tree reads -----------------------------------------------------------------


def leaves(group: Group):
    for child in group.rules:
        if isinstance(child, Group):
            yield from leaves(child)
        else:
            yield child


ENGAGEMENT_EVENTS = {"email_opened": "email.opened", "email_clicked": "email.clicked"}


def dependencies(group: Group) -> dict[str, list]:
    """What the rules read, so a change re-evaluates only the segments it may affect."""
    deps: dict[str, set] = {k: set() for k in ("fields", "attributes", "tags", "events")}
    deps["segments"] = set()
    for rule in leaves(group):
        if rule.field in CONTACT_FIELDS:
            deps["fields"].add(rule.field)
        elif rule.field.startswith("attr."):
            deps["attributes"].add(rule.field[5:])
        elif rule.field == "tag":
            values = rule.value if isinstance(rule.value, list) else [rule.value]
            deps["tags"].update(values)
        elif rule.field == "event":
            deps["events"].add(rule.event)
        elif rule.field in ENGAGEMENT_EVENTS:
            deps["events"].add(ENGAGEMENT_EVENTS[rule.field])
            deps["fields"].add("engagement")  # sends' opens and clicks too
        elif rule.field == "segment":
            deps["segments"].add(rule.value)
    return {k: sorted(v) for k, v in deps.items()}


def is_time_relative(group: Group) -> bool:
    """Whether the rules read "now": a relative date, a window of days, an event window."""
    for rule in leaves(group):
        if rule.operator in ("within_last", "not_within_last"):
            return True
        if rule.field == "event" and rule.days:
            return True
        if rule.operator in ("before", "after") and str(rule.value).endswith(" days ago"):
            return True
    return False
