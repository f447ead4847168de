"""Saving, previewing and deleting segments, and declaring typed custom attributes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import ATTRIBUTE_TYPES, CustomField, Lead, Segment, SegmentMember
from webapp.services.activity import log_activity
from webapp.services.segments.compiler import Context, matching
from webapp.services.segments.membership import Diff, attributes_of, evaluate_segment
from webapp.services.segments.rules import (
    ATTRIBUTE_KEY,
    Group,
    RulesInvalid,
    dependencies,
    is_time_relative,
    parse_rules,
)
from webapp.services.segments.usage import segment_users

PREVIEW_SIZE = 10


class SegmentInUse(DomainError):
    """Another segment's rules read this one; it cannot be deleted."""


@dataclass(frozen=True)
class Preview:
    count: int
    members: list[Lead]


def checked_rules(
    session: Session, org_id: int, raw: object, segment_id: int | None = None
) -> Group:
    """`raw` parsed against the workspace's attributes, with every segment it reads in this
    workspace and no cycle through `segment_id`. Raises RulesInvalid."""
    tree = parse_rules(raw, attributes_of(session, org_id))
    reads = dependencies(tree)["segments"]
    if not reads:
        return tree
    graph = {
        s.id: set((s.depends_on or {}).get("segments") or [])
        for s in session.scalars(select(Segment).where(Segment.org_id == org_id))
    }
    errors = {}
    for ref in reads:
        if ref not in graph:
            errors[f"Segment {ref}"] = "there is no such segment in this workspace"
        elif segment_id is not None and _reaches(graph, ref, segment_id):
            errors[f"Segment {ref}"] = "it reads this segment: a segment cannot contain itself"
    if errors:
        raise RulesInvalid(errors)
    return tree


def _reaches(graph: dict[int, set[int]], start: int, target: int) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name or "").strip()
    if not name:
        raise RulesInvalid({"Name": "give the segment a name"})
    return name[:120]


def create_segment(
    session: Session, org_id: int, name: str, rules: object, *, actor_id: int | None, now: datetime
) -> Segment:
    """A new segment, its membership computed. Raises RulesInvalid."""
    tree = checked_rules(session, org_id, rules)
    segment = Segment(
        org_id=org_id,
        name=_clean_name(name),
        rules=tree.model_dump(mode="json"),
        depends_on=dependencies(tree),
        time_relative=is_time_relative(tree),
        member_count=0,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(segment)
    session.flush()
    evaluate_segment(session, segment, now)
    log_activity(
        session,
        org_id,
        "segment.created",
        f"Segment {segment.name} created with {segment.member_count} members.",
        now=now,
        entity=("segment", segment.id),
        actor_id=actor_id,
    )
    return segment


def update_segment(
    session: Session,
    segment: Segment,
    name: str,
    rules: object,
    *,
    actor_id: int | None,
    now: datetime,
) -> Diff:
    """New name and rules; the membership follows at once. Raises RulesInvalid."""
    tree = checked_rules(session, segment.org_id, rules, segment.id)
    segment.name = _clean_name(name)
    segment.rules = tree.model_dump(mode="json")
    segment.depends_on = dependencies(tree)
    segment.time_relative = is_time_relative(tree)
    segment.updated_at = now
    session.flush()
    diff = evaluate_segment(session, segment, now)
    log_activity(
        session,
        segment.org_id,
        "segment.updated",
        f"Segment {segment.name} changed: {len(diff.entered)} entered, "
        f"{len(diff.exited)} left, {segment.member_count} members.",
        now=now,
        entity=("segment", segment.id),
        actor_id=actor_id,
    )
    return diff


def delete_segment(
    session: Session, segment: Segment, *, actor_id: int | None, now: datetime
) -> None:
    """Remove a segment and its membership. Raises SegmentInUse while anything uses it
    (another segment, a workflow, a broadcast not yet sent)."""
    users = segment_users(session, segment)
    if users:
        raise SegmentInUse(f"{'; '.join(users)} use this segment. Change them first.")
    session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment.id))
    session.delete(segment)
    log_activity(
        session,
        segment.org_id,
        "segment.deleted",
        f"Segment {segment.name} deleted.",
        now=now,
        actor_id=actor_id,
    )
    session.flush()


def preview(
    session: Session, org_id: int, rules: object, now: datetime, segment_id: int | None = None
) -> Preview:
    """How many contacts the unsaved rules match now, and the first few. Raises RulesInvalid."""
    tree = checked_rules(session, org_id, rules, segment_id)
    ctx = Context(org_id, now, attributes_of(session, org_id))
    ids = matching(tree, ctx).subquery()
    count = session.scalar(select(func.count()).select_from(ids))
    members = session.scalars(
        select(Lead).where(Lead.id.in_(select(ids.c.id))).order_by(Lead.id).limit(PREVIEW_SIZE)
    ).all()
    return Preview(count, list(members))


def list_segments(session: Session, org_id: int) -> list[Segment]:
    return list(
        session.scalars(
            select(Segment).where(Segment.org_id == org_id).order_by(Segment.name, Segment.id)
        )
    )


def _members_query(segment: Segment):
    return (
        select(Lead)
        .join(SegmentMember, SegmentMember.lead_id == Lead.id)
        .where(
            SegmentMember.segment_id == segment.id,
            SegmentMember.org_id == segment.org_id,
            SegmentMember.exited_at.is_(None),
        )
        .order_by(Lead.id)
    )


def members_page(
    session: Session, segment: Segment, page: int, per_page: int
) -> tuple[list[Lead], int]:
    """One page of current members (by id) and the total."""
    total = session.scalar(
        select(func.count()).where(
            SegmentMember.segment_id == segment.id, SegmentMember.exited_at.is_(None)
        )
    )
    rows = session.scalars(
        _members_query(segment).offset((max(page, 1) - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def iter_members(session: Session, segment: Segment) -> Iterator[Lead]:
    """Every current member, streamed (for the CSV export)."""
    yield from session.scalars(_members_query(segment).execution_options(yield_per=500))


def declare_attribute(
    session: Session, org_id: int, key: str, type_: str, label: str, *, now: datetime
) -> CustomField:
    """Declare (or re-label) the type of custom attribute `key`. Raises RulesInvalid."""
    key = (key or "").strip()
    if not ATTRIBUTE_KEY.match(key):
        raise RulesInvalid({"key": "a letter, then letters, digits or _ (at most 60)"})
    if type_ not in ATTRIBUTE_TYPES:
        raise RulesInvalid({"type": f"one of {', '.join(ATTRIBUTE_TYPES)}"})
    row = session.scalars(
        select(CustomField).where(CustomField.org_id == org_id, CustomField.key == key)
    ).one_or_none()
    if row is not None and row.type != type_:
        raise RulesInvalid({"type": f"{key} is already declared as {row.type}"})
    if row is None:
        row = CustomField(org_id=org_id, key=key, type=type_, label="", created_at=now)
        session.add(row)
    row.label = (label or key).strip()[:80]
    session.flush()
    return row


def attributes(session: Session, org_id: int) -> list[CustomField]:
    return list(
        session.scalars(
            select(CustomField).where(CustomField.org_id == org_id).order_by(CustomField.key)
        )
    )
