"""Writing and reading the activity log (DESIGN invariant 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from webapp.models import ActivityLog, Organization

PAGE_SIZE = 25


def log_activity(
    session: Session,
    org: Organization | int,
    type: str,
    description: str,
    *,
    now: datetime,
    entity: tuple[str, object] | None = None,
    details: dict | None = None,
    actor_id: int | None = None,
) -> ActivityLog:
    """Add an activity row in the caller's transaction. `actor_id` None means automated."""
    org_id = org if isinstance(org, int) else org.id
    row = ActivityLog(
        org_id=org_id,
        type=type,
        description=description,
        entity_type=entity[0] if entity else None,
        entity_id=str(entity[1]) if entity else None,
        details=details or {},
        actor_id=actor_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ActivityFilter:
    org_ids: list[int] | None  # None: every workspace (support only)
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    automated_only: bool = False


def list_activity(
    session: Session, flt: ActivityFilter, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[ActivityLog], int | None]:
    """One page of activity, newest first.

    Returns (rows, cursor): pass the cursor as `before_id` for the next page; None when
    there is no more. Keyset pagination keeps "load more" fast on a long history.
    """
    # Every line names who acted (and, across workspaces, where): read with the rows, not
    # one statement per person or workspace.
    query = select(ActivityLog).options(joinedload(ActivityLog.actor))
    if flt.org_ids is None:
        query = query.options(joinedload(ActivityLog.org))
    else:
        query = query.where(ActivityLog.org_id.in_(flt.org_ids))
    if flt.type:
        query = query.where(ActivityLog.type == flt.type)
    if flt.since:
        query = query.where(ActivityLog.created_at >= flt.since)
    if flt.until:
        query = query.where(ActivityLog.created_at < flt.until)
    if flt.entity_type:
        query = query.where(ActivityLog.entity_type == flt.entity_type)
    if flt.entity_id:
        query = query.where(ActivityLog.entity_id == flt.entity_id)
    if flt.automated_only:
        query = query.where(ActivityLog.actor_id.is_(None))
    if before_id is not None:
        query = query.where(ActivityLog.id < before_id)
    rows = list(session.scalars(query.order_by(ActivityLog.id.desc()).limit(limit + 1)))
    cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], cursor


def activity_types(session: Session, org_ids: list[int] | None) -> list[str]:
    """The distinct activity types present, for the filter's choices."""
    query = select(ActivityLog.type).distinct()
    if org_ids is not None:
        query = query.where(ActivityLog.org_id.in_(org_ids))
    return sorted(session.scalars(query))


def entity_types(session: Session, org_ids: list[int] | None) -> list[str]:
    query = select(ActivityLog.entity_type).where(ActivityLog.entity_type.is_not(None)).distinct()
    if org_ids is not None:
        query = query.where(ActivityLog.org_id.in_(org_ids))
    return sorted(session.scalars(query))


# --- bulk activity rows (a daily job writes many in one statement) --------------------------

ACTIVITY_INSERT = insert(ActivityLog.__table__)


def activity_row(
    org_id: int,
    type_: str,
    description: str,
    *,
    now: datetime,
    entity: tuple[str, object] | None = None,
    details: dict | None = None,
) -> dict:
    """An automated activity row for ACTIVITY_INSERT (bulk writes of the daily job)."""
    return {
        "org_id": org_id,
        "type": type_,
        "description": description,
        "entity_type": entity[0] if entity else None,
        "entity_id": str(entity[1]) if entity else None,
        "metadata": details or {},
        "actor_id": None,
        "created_at": now,
    }


@dataclass(frozen=True)
class Entry:
    """One line of the feed: a row, and how many identical rows in a row it stands for."""

    row: ActivityLog
    count: int = 1


def collapse_repeats(rows: list[ActivityLog]) -> list[Entry]:
    """Identical consecutive rows (same workspace, type and sentence) as one line with a
    count: seven `ai.fallback` rows in a row read as one line "× 7", the newest first."""
    entries: list[Entry] = []
    for row in rows:
        last = entries[-1].row if entries else None
        if last is not None and (last.org_id, last.type, last.description) == (
            row.org_id,
            row.type,
            row.description,
        ):
            entries[-1] = Entry(last, entries[-1].count + 1)
        else:
            entries.append(Entry(row))
    return entries
