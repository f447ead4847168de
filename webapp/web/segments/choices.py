"""What the rules builder shows: each node of the tree with its path, the fields to pick
from, each rule's operators and the kind of value input its field takes."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy.orm import Session

from webapp.models import LEAD_STATUSES, Segment
from webapp.services.segments import manage
from webapp.services.segments.membership import attributes_of
from webapp.services.segments.rules import (
    CONTACT_FIELDS,
    MAX_DEPTH,
    SPECIAL_FIELDS,
    field_specs,
    operator_label,
    operators_for,
)
from webapp.web.segments.builder import display_value


@dataclass
class RuleView:
    path: str
    field: str
    operator: str
    value: str
    event: str
    days: str
    operators: list[tuple[str, str]]
    input: str  # text | number | date | days | boolean | status | segment | event | none
    error: str | None


@dataclass
class GroupView:
    path: str
    match: str
    depth: int
    error: str | None
    children: list = field(default_factory=list)


def _input_kind(kind: str, op: str) -> str:
    if op in ("is_set", "is_not_set"):
        return "none"
    if op in ("within_last", "not_within_last"):
        return "days"
    if op in ("in", "not_in"):
        return "text"
    return {
        "number": "number",
        "date": "date",
        "boolean": "boolean",
        "enum": "status",
        "segment": "segment",
        "event": "event",
    }.get(kind, "text")


def _view(node: dict, path: str, depth: int, specs: dict, errors: dict):
    if node.get("kind") == "group":
        view = GroupView(path, node.get("match", "all"), depth, errors.get(f"Group {path}"))
        for i, child in enumerate(node.get("rules") or [], 1):
            view.children.append(
                _view(child, f"{path}.{i}" if path else str(i), depth + 1, specs, errors)
            )
        return view
    spec = specs.get(node.get("field")) or CONTACT_FIELDS["status"]
    ops = operators_for(spec)
    op = node.get("operator") if node.get("operator") in ops else ops[0]
    return RuleView(
        path=path,
        field=spec.name,
        operator=op,
        value=display_value(node.get("value")),
        event=str(node.get("event") or ""),
        days=display_value(node.get("days")),
        operators=[(o, operator_label(spec, o)) for o in ops],
        input=_input_kind(spec.kind, op),
        error=errors.get(f"Rule {path}"),
    )


def builder_context(
    session: Session, org_id: int, tree: dict, segment: Segment | None, errors: dict
) -> dict:
    attributes = attributes_of(session, org_id)
    specs = field_specs(attributes)
    root = _view(tree if isinstance(tree, dict) else {}, "", 1, specs, errors)
    shown = {k: v for k, v in errors.items() if not k.startswith(("Rule ", "Group ", "Name"))}
    if errors.get("Rules"):
        shown["Rules"] = errors["Rules"]
    field_groups = [
        ("Contact", [(f.name, f.label) for f in CONTACT_FIELDS.values()]),
        ("Tags and activity", [(f.name, f.label) for f in SPECIAL_FIELDS.values()]),
    ]
    if attributes:
        field_groups.append(
            (
                "Custom attributes",
                [(f"attr.{k}", f"{k} ({t})") for k, t in sorted(attributes.items())],
            )
        )
    others = [
        s for s in manage.list_segments(session, org_id) if segment is None or s.id != segment.id
    ]
    return {
        "root": root,
        "field_groups": field_groups,
        "other_segments": others,
        "statuses": LEAD_STATUSES,
        "builder_errors": shown,
        "max_depth": MAX_DEPTH,
        "segment": segment,
        "builder_url": url_for("segments.edit", segment_id=segment.id)
        if segment
        else url_for("segments.new"),
    }
