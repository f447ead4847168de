"""Writing and reading the activity log (DESIGN invariant 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, insert, null, select
from sqlalchemy.orm import Session, joinedload

from webapp.core.db import read
from webapp.models import ActivityLog, Organization, User

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


class Line(NamedTuple):
    """A feed line as the pages read it: what its kept HTML is keyed on (web/activity/
    items.py) and what collapsing compares. The full row is read only for a line not kept."""

    id: int
    org_id: int
    type: str
    description: str
    actor_name: str | None
    org_name: str | None  # read for a feed across workspaces only


def list_activity(
    session: Session, flt: ActivityFilter, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Line], int | None]:
    """One page of activity, newest first, as plain lines (one statement, no ORM objects).

    Returns (lines, cursor): pass the cursor as `before_id` for the next page; None when
    there is no more. Keyset pagination keeps "load more" fast on a long history.
    """
    values = {
        "type": flt.type,
        "since": flt.since,
        "until": flt.until,
        "entity_type": flt.entity_type,
        "entity_id": flt.entity_id,
        "before_id": before_id,
    }
    params = {name: value for name, value in values.items() if value is not None}
    if flt.org_ids is not None:
        params["org_ids"] = flt.org_ids
    params["limit"] = limit + 1
    statement = _lines_query(flt.org_ids is None, frozenset(params), flt.automated_only)
    lines = [Line(*row) for row in read(session, statement, params)]
    cursor = lines[limit - 1].id if len(lines) > limit else None
    return lines[:limit], cursor


@lru_cache(maxsize=64)
def _lines_query(across: bool, given: frozenset[str], automated_only: bool):
    """The lines' statement for one shape of filter, built once: the dashboard's feed pays
    for running it, not for building it (about 0.2 ms)."""
    a = ActivityLog
    # Every line names who acted (and, across workspaces, where): read with the rows, not
    # one statement per person or workspace.
    org_name = Organization.name if across else null()
    query = select(a.id, a.org_id, a.type, a.description, User.name, org_name).outerjoin(
        User, User.id == a.actor_id
    )
    if across:
        query = query.join(Organization, Organization.id == a.org_id)
    else:
        query = query.where(a.org_id.in_(bindparam("org_ids", expanding=True)))
    conditions = {
        "type": lambda p: a.type == p,
        "since": lambda p: a.created_at >= p,
        "until": lambda p: a.created_at < p,
        "entity_type": lambda p: a.entity_type == p,
        "entity_id": lambda p: a.entity_id == p,
        "before_id": lambda p: a.id < p,
    }
    for name, condition in conditions.items():
        if name in given:
            query = query.where(condition(bindparam(name)))
    if automated_only:
        query = query.where(a.actor_id.is_(None))
    return query.order_by(a.id.desc()).limit(bindparam("limit"))


def rows_by_id(session: Session, ids: list[int]) -> dict[int, ActivityLog]:
    """The full rows of these lines (their actors and workspaces with them), by id. The ids
    are a `list_activity` page's, already scoped to the viewer's workspaces."""
    if not ids:
        return {}
    query = (
        select(ActivityLog)
        .options(joinedload(ActivityLog.actor), joinedload(ActivityLog.org))
        .where(ActivityLog.id.in_(ids))
    )
    return {row.id: row for row in session.scalars(query)}


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
    """One line of the feed: a line, and how many identical lines in a row it stands for."""

    row: Line
    count: int = 1


def collapse_repeats(rows: list[Line]) -> list[Entry]:
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
