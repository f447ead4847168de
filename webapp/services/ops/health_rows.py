"""Every workspace's health as one row each (`workspace_health_rows`), written by the health
job and read by support's all-workspaces view with one paginated query: at 10,000
workspaces recomputing them all per page view took seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import Organization, WorkspaceHealthRow
from webapp.services.ops import workspace_health as wh

CHUNK = 500  # rows per upsert statement


@dataclass(frozen=True)
class SupportRow:
    org_id: int
    org_name: str
    status: str | None  # None: not checked yet (a workspace newer than the last health run)
    issue_count: int
    top_issue: str | None

    @property
    def label(self) -> str:
        return wh.LABELS[self.status] if self.status else "Not checked yet"


@dataclass(frozen=True)
class SupportPage:
    rows: list[SupportRow]
    counts: dict[str, int]
    total: int
    shown: int
    checked_at: datetime | None
    page_no: int
    pages: int


def refresh_health_rows(
    session: Session, *, now: datetime, jobs: Any = None, org_ids: list[int] | None = None
) -> int:
    """Compute the health of these workspaces (None: all) and store one row each."""
    if org_ids is None:
        healths = wh.all_workspaces_health(session, now=now, jobs=jobs)
    else:
        healths = [wh.workspace_health(session, org_id, now=now, jobs=jobs) for org_id in org_ids]
    values = [
        {
            "org_id": h.org_id,
            "status": h.status,
            "rank": wh.RANK[h.status],
            "issue_count": len(h.issues),
            "top_issue": h.top_issue.title[:300] if h.top_issue else None,
            "checked_at": now,
        }
        for h in healths
    ]
    insert = dialect_insert(session)
    for start in range(0, len(values), CHUNK):
        stmt = insert(WorkspaceHealthRow).values(values[start : start + CHUNK])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["org_id"],
                set_={
                    name: getattr(stmt.excluded, name)
                    for name in ("status", "rank", "issue_count", "top_issue", "checked_at")
                },
            )
        )
    session.flush()
    return len(values)


def support_page(session: Session, *, status: str, page_no: int, size: int) -> SupportPage:
    """One page of every workspace, worst first (then most issues, then name); `status`
    ("" for all) filters. A fixed three statements whatever the number of workspaces."""
    r = WorkspaceHealthRow
    counts = {key: 0 for key in wh.RANK}
    checked_at = None
    for key, n, last in session.execute(
        select(r.status, func.count(), func.max(r.checked_at)).group_by(r.status)
    ):
        counts[key] = n
        checked_at = max(filter(None, (checked_at, last)), default=None)
    total = session.scalar(select(func.count()).select_from(Organization)) or 0
    shown = counts[status] if status else total
    pages = max(1, -(-shown // size))
    page_no = min(max(page_no, 1), pages)
    query = select(
        Organization.id, Organization.name, r.status, r.issue_count, r.top_issue
    ).outerjoin(r, r.org_id == Organization.id)
    if status:
        query = query.where(r.status == status)
    query = query.order_by(
        func.coalesce(r.rank, len(wh.RANK)),
        r.issue_count.desc(),
        func.lower(Organization.name),
        Organization.id,
    )
    rows = session.execute(query.offset((page_no - 1) * size).limit(size))
    return SupportPage(
        [SupportRow(i, name, st, n or 0, top) for i, name, st, n, top in rows],
        counts,
        total,
        shown,
        checked_at,
        page_no,
        pages,
    )
