"""Rules to SQL: one boolean SQLAlchemy Core expression over `leads`, the same members on
SQLite and PostgreSQL.

Every value is a bound parameter. A negated rule ("is not", "does not contain", "is none
of") is the exact complement of its positive rule: a contact whose value is missing is
"not equal" to anything, never dropped by SQL's NULL logic. Sub-queries (tags, events,
sends, other segments) are scoped to the workspace as well as to the contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Float,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from webapp.models import Event, Lead, LeadTag, SegmentMember, Send
from webapp.models.types import UTCDateTime
from webapp.services.segments import sql
from webapp.services.segments.rules import CONTACT_FIELDS, RELATIVE, Group, Rule

leads = Lead.__table__
FOLDED_FIELDS = frozenset({"name", "company"})  # free text: ASCII case does not matter
LOWER_FIELDS = frozenset({"email", "status", "source"})  # stored lower-cased


@dataclass
class Context:
    org_id: int
    now: datetime
    attributes: dict[str, str]  # declared custom attributes: key -> type
    # Every value computed from `now`, as a named parameter: (name, "instant" | "day", days
    # back). A statement compiled once can then run at any later moment (`time_params`).
    times: list[tuple[str, str, int]] = field(default_factory=list)

    def ago(self, days: int) -> BindParameter:
        """The instant `days` before now, bound."""
        return self._bind("instant", days, UTCDateTime())

    def day_ago(self, days: int) -> BindParameter:
        """The ISO day `days` before now (in UTC), bound."""
        return self._bind("day", days, String())

    def _bind(self, kind: str, days: int, type_) -> BindParameter:
        name = f"t{len(self.times)}"
        self.times.append((name, kind, days))
        return bindparam(name, _time_value(kind, days, self.now), type_=type_)


def _time_value(kind: str, days: int, now: datetime) -> object:
    at = now - timedelta(days=days)
    return at if kind == "instant" else at.date().isoformat()


def time_params(times: list[tuple[str, str, int]], now: datetime) -> dict[str, object]:
    """The values of a compiled statement's time parameters at `now`."""
    return {name: _time_value(kind, days, now) for name, kind, days in times}


def compile_rules(tree: Group, ctx: Context) -> ColumnElement[bool]:
    """The condition a `leads` row meets when the contact is in the segment (without the
    workspace condition, which `matching` adds)."""
    parts = [compile_rules(c, ctx) if isinstance(c, Group) else _rule(c, ctx) for c in tree.rules]
    return and_(*parts) if tree.match == "all" else or_(*parts)


def matching(tree: Group, ctx: Context):
    """SELECT the ids of the workspace's contacts the rules match."""
    return select(leads.c.id).where(leads.c.org_id == ctx.org_id, compile_rules(tree, ctx))


def _negate(positive: ColumnElement[bool]) -> ColumnElement[bool]:
    """NOT that is true where the positive rule is NULL (a missing value)."""
    return not_(func.coalesce(positive, false()))


def _rule(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    op = rule.operator
    if rule.field == "tag":
        return _tag(rule, ctx)
    if rule.field == "event":
        return _event(rule, ctx)
    if rule.field in ("email_opened", "email_clicked"):
        return _engagement(rule, ctx)
    if rule.field == "segment":
        member = exists().where(
            SegmentMember.segment_id == rule.value,
            SegmentMember.org_id == ctx.org_id,
            SegmentMember.lead_id == leads.c.id,
            SegmentMember.exited_at.is_(None),
        )
        return member if op == "equals" else not_(member)
    if rule.field.startswith("attr."):
        return _attribute(rule, ctx)
    spec = CONTACT_FIELDS[rule.field]
    column = leads.c[spec.column]
    if spec.kind == "boolean":  # subscribed: no unsubscribe time
        yes = column.is_(None)
        return yes if (op == "equals") == bool(rule.value) else not_(yes)
    if spec.kind == "date":
        return _datetime(column, rule, ctx)
    if spec.kind == "number":
        return _compare(column, rule, column.is_not(None))
    if rule.field in FOLDED_FIELDS:
        return _compare(sql.ascii_lower(column), rule, _text_set(column), folded=True)
    return _compare(column, rule, _text_set(column))


def _text_set(column) -> ColumnElement[bool]:
    return and_(column.is_not(None), column != "")


def _compare(expr, rule: Rule, is_set, folded: bool = False) -> ColumnElement[bool]:
    """The generic operators over one typed SQL value `expr`."""
    op, value = rule.operator, rule.value
    if folded and value is not None:
        value = [sql.fold(v) for v in value] if isinstance(value, list) else sql.fold(value)
    positive = {
        "equals": lambda: expr == value,
        "contains": lambda: sql.text_contains(expr, value),
        "in": lambda: expr.in_(value),
        "greater_than": lambda: expr > value,
        "less_than": lambda: expr < value,
        "is_set": lambda: is_set,
    }
    if op in positive:
        return positive[op]()
    return _negate(positive[op.removeprefix("not_").replace("is_not_set", "is_set")]())


def _datetime(column, rule: Rule, ctx: Context) -> ColumnElement[bool]:
    """created_at: a relative date is that instant N days ago; an absolute date is a UTC day."""
    op, value = rule.operator, rule.value
    if op == "is_set":
        return column.is_not(None)
    if op == "is_not_set":
        return column.is_(None)
    if op == "within_last":
        return column >= ctx.ago(value)
    match = RELATIVE.match(value)
    if match:
        at = ctx.ago(int(match.group(1)))
        return column < at if op == "before" else column > at
    day = datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    return column < day if op == "before" else column >= day + timedelta(days=1)


def _attribute(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    key = rule.field[5:]
    type_ = ctx.attributes[key]
    kind = sql.json_kind(leads.c.extra, key)
    text = sql.json_text(leads.c.extra, key)
    if type_ == "string":
        value = case((kind == "string", text))
        return _compare(sql.ascii_lower(value), rule, and_(value.is_not(None), value != ""), True)
    if type_ == "number":
        value = case(
            (kind == "number", cast(text, Float)),
            (and_(kind == "string", sql.looks_numeric(text)), cast(text, Float)),
        )
        return _compare(value, rule, value.is_not(None))
    if type_ == "boolean":
        folded = sql.ascii_lower(text)
        value = case(
            (and_(kind != "null", folded.in_(["true", "yes", "1"])), 1),
            (and_(kind != "null", folded.in_(["false", "no", "0"])), 0),
        )
        if rule.operator in ("equals", "not_equals"):
            rule = rule.model_copy(update={"value": int(bool(rule.value))})
        return _compare(value, rule, value.is_not(None))
    day = case((and_(kind == "string", sql.looks_date(text)), func.substr(text, 1, 10)))
    return _date_text(day, rule, ctx)


def _date_text(day, rule: Rule, ctx: Context) -> ColumnElement[bool]:
    """A custom date attribute, compared as ISO day text (the same order as the dates)."""
    op = rule.operator
    if op in ("is_set", "is_not_set"):
        return day.is_not(None) if op == "is_set" else day.is_(None)
    if op == "within_last":
        return and_(day >= ctx.day_ago(rule.value), day <= ctx.day_ago(0))
    match = RELATIVE.match(rule.value)
    bound = ctx.day_ago(int(match.group(1))) if match else rule.value
    return day < bound if op == "before" else day > bound


def _tag(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    values = rule.value if isinstance(rule.value, list) else [rule.value]
    has = exists().where(
        LeadTag.org_id == ctx.org_id,
        LeadTag.lead_id == leads.c.id,
        LeadTag.tag == values[0] if len(values) == 1 else LeadTag.tag.in_(values),
    )
    return has if rule.operator in ("equals", "in") else not_(has)


def _event(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    """Did the event at least / at most N times (in the last D days)."""
    where = [Event.org_id == ctx.org_id, Event.lead_id == leads.c.id, Event.name == rule.event]
    if rule.days:
        where.append(Event.occurred_at >= ctx.ago(rule.days))
    n = rule.value
    if rule.operator == "at_least":
        if n <= 0:
            return true()
        if n == 1:  # EXISTS stops at the first row
            return exists().where(*where)
        return select(func.count()).where(*where).scalar_subquery() >= n
    if n == 0:
        return not_(exists().where(*where))
    return select(func.count()).where(*where).scalar_subquery() <= n


def _engagement(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    """Opened / clicked an email in the last N days: a tracked send, or the event."""
    since = ctx.ago(rule.value)
    opened = rule.field == "email_opened"
    sent_at = Send.first_opened_at if opened else Send.first_clicked_at
    name = "email.opened" if opened else "email.clicked"
    did = or_(
        exists().where(Send.org_id == ctx.org_id, Send.lead_id == leads.c.id, sent_at >= since),
        exists().where(
            Event.org_id == ctx.org_id,
            Event.lead_id == leads.c.id,
            Event.name == name,
            Event.occurred_at >= since,
        ),
    )
    return did if rule.operator == "within_last" else not_(did)
