"""Stored membership: a whole segment diffed against its rules, or one contact against the
segments a change can affect; `segment_entered` / `segment_exited` once per real change.

Every write is conditional (exit only a current member, enter only a non-member, insert
with ON CONFLICT DO NOTHING) and returns the rows it changed, so two evaluations racing
for the same contact signal its entry once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select, text, update
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.core.db import dialect_insert
from webapp.models import CustomField, Lead, Segment, SegmentMember
from webapp.models.types import UTCDateTime
from webapp.services.segments.compiler import Context, compile_rules, matching, time_params
from webapp.services.segments.rules import Group, RulesInvalid, parse_rules

log = logging.getLogger(__name__)
CHUNK = 500
members_table = SegmentMember.__table__
# One contact entering, in the text SQLite (3.35+) and PostgreSQL share: SQLAlchemy never
# caches the dialects' ON CONFLICT inserts, and compiling one per contact costs more than
# the insert.
ENTER = text(
    "INSERT INTO segment_members (segment_id, lead_id, org_id, entered_at) "
    "VALUES (:segment_id, :lead_id, :org_id, :entered_at) "
    "ON CONFLICT DO NOTHING RETURNING lead_id"
).bindparams(bindparam("entered_at", type_=UTCDateTime()))
EVERYTHING = None  # a change whose extent is unknown: every segment depends on it


@dataclass
class Diff:
    entered: list[int] = field(default_factory=list)
    exited: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """What changed about one contact. None for a kind means "anything of that kind"."""

    fields: frozenset[str] | None = frozenset()
    attributes: frozenset[str] | None = frozenset()
    tags: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()

    def affects(self, deps: dict) -> bool:
        for kind in ("fields", "attributes", "tags", "events"):
            mine, theirs = getattr(self, kind), deps.get(kind) or []
            if theirs and (mine is None or mine.intersection(theirs)):
                return True
        return False


ANY_CHANGE = Change(fields=None, attributes=None)


def attributes_of(session: Session, org_id: int) -> dict[str, str]:
    """The workspace's declared custom attributes: key -> type."""
    rows = session.execute(
        select(CustomField.key, CustomField.type).where(CustomField.org_id == org_id)
    )
    return {key: type_ for key, type_ in rows}


def tree_of(segment, attributes: dict[str, str]) -> Group:
    return parse_rules(segment.rules, attributes)


# --- a whole segment -------------------------------------------------------------------


def evaluate_segment(session: Session, segment: Segment, now: datetime) -> Diff:
    """Bring `segment`'s stored membership in line with its rules; signal each change."""
    attributes = attributes_of(session, segment.org_id)
    ctx = Context(segment.org_id, now, attributes)
    wanted = set(session.scalars(matching(tree_of(segment, attributes), ctx)))
    rows = session.execute(
        select(SegmentMember.lead_id, SegmentMember.exited_at).where(
            SegmentMember.segment_id == segment.id
        )
    ).tuples()
    current, past = set(), set()
    for lead_id, exited_at in rows:
        (past if exited_at is not None else current).add(lead_id)
    diff = Diff()
    diff.exited = _exit(session, segment.id, sorted(current - wanted), now)
    diff.entered = _reenter(session, segment.id, sorted(wanted & past), now)
    diff.entered += _insert(session, segment, sorted(wanted - current - past), now)
    segment.member_count = member_count(session, segment.id)
    segment.evaluated_at = now
    session.flush()
    _signal(session, segment, diff, now)
    return diff


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _exit(session: Session, segment_id: int, ids: list[int], now: datetime) -> list[int]:
    done: list[int] = []
    for chunk in _chunks(ids):
        done += session.scalars(
            update(SegmentMember)
            .where(
                SegmentMember.segment_id == segment_id,
                SegmentMember.lead_id.in_(chunk),
                SegmentMember.exited_at.is_(None),
            )
            .values(exited_at=now)
            .returning(SegmentMember.lead_id)
        ).all()
    return done


def _reenter(session: Session, segment_id: int, ids: list[int], now: datetime) -> list[int]:
    done: list[int] = []
    for chunk in _chunks(ids):
        done += session.scalars(
            update(SegmentMember)
            .where(
                SegmentMember.segment_id == segment_id,
                SegmentMember.lead_id.in_(chunk),
                SegmentMember.exited_at.is_not(None),
            )
            .values(entered_at=now, exited_at=None)
            .returning(SegmentMember.lead_id)
        ).all()
    return done


def _insert(session: Session, segment, ids: list[int], now: datetime) -> list[int]:
    """Insert membership rows for `ids`; returns those that were not there already."""
    rows = [
        {"segment_id": segment.id, "lead_id": i, "org_id": segment.org_id, "entered_at": now}
        for i in ids
    ]
    if len(rows) == 1:  # one contact: a statement compiled once (see ENTER)
        return list(session.execute(ENTER, rows[0]).scalars())
    if not rows:
        return []
    # Many rows: one statement, executed for all of them (SQLAlchemy batches it into
    # multi-row INSERTs with RETURNING), compiled once rather than once per batch.
    stmt = (
        dialect_insert(session)(members_table)
        .on_conflict_do_nothing()
        .returning(members_table.c.lead_id)
    )
    return list(session.execute(stmt, rows).scalars())


def _signal(session: Session, segment, diff: Diff, now: datetime) -> None:
    for signal, ids in (
        (signals.segment_exited, diff.exited),
        (signals.segment_entered, diff.entered),
    ):
        if not ids or not signal.receivers:
            continue
        for lead_id in ids:
            signals.send(
                signal,
                session=session,
                org_id=segment.org_id,
                segment_id=segment.id,
                lead_id=lead_id,
                now=now,
            )


# --- one contact -----------------------------------------------------------------------


def evaluate_contact(
    session: Session, org_id: int, lead_id: int, change: Change, now: datetime
) -> dict[int, str]:
    """Re-evaluate `lead_id` in the segments `change` can affect, and in the segments that
    read those (when its membership changed). Returns {segment id: "entered" | "exited"}."""
    # Plain rows, not Segment objects: this runs for every contact change.
    columns = (Segment.id, Segment.org_id, Segment.rules, Segment.depends_on)
    segments = ordered(list(session.execute(select(*columns).where(Segment.org_id == org_id))))
    moved: dict[int, str] = {}
    attributes: dict[str, str] | None = None
    for segment in segments:
        reads = segment.depends_on or {}
        if not (change.affects(reads) or any(s in moved for s in reads.get("segments") or [])):
            continue
        if attributes is None:
            # Only rules over custom attributes need their declared types.
            needs = any((s.depends_on or {}).get("attributes") for s in segments)
            attributes = attributes_of(session, org_id) if needs else {}
        try:
            outcome = _evaluate_one(session, segment, lead_id, attributes, now)
        except RulesInvalid as exc:  # an attribute's declaration was removed since
            log.warning("segment %s skipped: %s", segment.id, exc)
            continue
        if outcome:
            moved[segment.id] = outcome
    return moved


# One contact's statement per segment (its rules' text, the attributes they were checked
# against): compiled once, run at any moment with the contact and the time parameters.
_STATEMENTS: dict[tuple, tuple] = {}
_STATEMENTS_MAX = 1000


def _contact_statement(segment, attributes: dict[str, str], now: datetime) -> tuple:
    """(statement, time parameters): SELECT whether the contact matches, whether it has a
    membership row and whether that row is current — one round trip."""
    key = (
        segment.id,
        segment.org_id,
        json.dumps(segment.rules, sort_keys=True),
        tuple(sorted(attributes.items())),
    )
    cached = _STATEMENTS.get(key)
    if cached is not None:
        return cached
    tree = tree_of(segment, attributes)
    ctx = Context(segment.org_id, now, attributes)
    lead = Lead.__table__.c
    contact = bindparam("lead_id")
    row = (SegmentMember.segment_id == segment.id, SegmentMember.lead_id == contact)
    stmt = select(
        exists().where(lead.id == contact, lead.org_id == segment.org_id, compile_rules(tree, ctx)),
        exists().where(*row),
        exists().where(*row, SegmentMember.exited_at.is_(None)),
    )
    if len(_STATEMENTS) >= _STATEMENTS_MAX:
        _STATEMENTS.clear()
    _STATEMENTS[key] = (stmt, list(ctx.times))
    return _STATEMENTS[key]


def _evaluate_one(
    session: Session, segment, lead_id: int, attributes: dict[str, str], now: datetime
) -> str | None:
    stmt, times = _contact_statement(segment, attributes, now)
    wanted, has_row, current = session.execute(
        stmt, {"lead_id": lead_id, **time_params(times, now)}
    ).one()
    if bool(wanted) == bool(current):
        return None  # no change: one read, no write
    if wanted:
        done = (
            _reenter(session, segment.id, [lead_id], now)
            if has_row
            else _insert(session, segment, [lead_id], now)
        )
    else:
        done = _exit(session, segment.id, [lead_id], now)
    if not done:  # another transaction moved it first; it signalled
        return None
    # One atomic UPDATE: concurrent changes of other contacts never lose a count.
    session.execute(
        update(Segment)
        .where(Segment.id == segment.id)
        .values(member_count=Segment.member_count + (1 if wanted else -1))
    )
    diff = Diff(entered=done) if wanted else Diff(exited=done)
    _signal(session, segment, diff, now)
    return "entered" if wanted else "exited"


def ordered(segments: list) -> list:
    """Segments with every segment after the ones its rules read (cycles are refused on
    save, so a depth-first walk ends)."""
    by_id = {s.id: s for s in segments}
    out: list[Segment] = []
    seen: set[int] = set()

    def visit(s) -> None:
        if s.id in seen:
            return
        seen.add(s.id)
        for dep in (s.depends_on or {}).get("segments") or []:
            if dep in by_id:
                visit(by_id[dep])
        out.append(s)

    for s in sorted(segments, key=lambda s: s.id):
        visit(s)
    return out


def member_count(session: Session, segment_id: int) -> int:
    return session.scalar(
        select(func.count()).where(
            SegmentMember.segment_id == segment_id, SegmentMember.exited_at.is_(None)
        )
    )


def is_member(session: Session, org_id: int, segment_id: int, lead_id: int) -> bool:
    """Whether the contact is currently in the workspace's segment (its stored membership)."""
    return (
        session.scalar(
            select(SegmentMember.lead_id).where(
                SegmentMember.segment_id == segment_id,
                SegmentMember.org_id == org_id,
                SegmentMember.lead_id == lead_id,
                SegmentMember.exited_at.is_(None),
            )
        )
        is not None
    )
