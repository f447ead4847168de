"""Who relies on a segment: other segments' rules, workflows (a trigger, a condition, a
scheduled run's audience, in any of their versions) and broadcasts not yet sent. A segment
in use is not deleted: its members would silently stop entering, leaving or receiving."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Broadcast, Segment, Workflow, WorkflowVersion

UNSENT = ("draft", "scheduled", "sending", "paused")


def segment_users(session: Session, segment: Segment) -> list[str]:
    """What uses `segment`, each as a phrase for the owner; empty when nothing does."""
    org_id = segment.org_id
    readers = sorted(
        s.name
        for s in session.scalars(select(Segment).where(Segment.org_id == org_id))
        if segment.id in ((s.depends_on or {}).get("segments") or [])
    )
    flows = session.execute(
        select(Workflow.name, WorkflowVersion.definition)
        .join(WorkflowVersion, WorkflowVersion.workflow_id == Workflow.id)
        .where(Workflow.org_id == org_id)
    )
    workflows = sorted({name for name, definition in flows if _names(definition, segment.id)})
    broadcasts = sorted(
        session.scalars(
            select(Broadcast.name).where(
                Broadcast.org_id == org_id,
                Broadcast.segment_id == segment.id,
                Broadcast.status.in_(UNSENT),
            )
        )
    )
    return [
        f"{label} {', '.join(names)}"
        for label, names in (
            ("the segments", readers),
            ("the workflows", workflows),
            ("the broadcasts", broadcasts),
        )
        if names
    ]


def _names(value: object, segment_id: int) -> bool:
    """Whether a workflow definition (JSON) names the segment anywhere (`segment_id`)."""
    if isinstance(value, dict):
        return value.get("segment_id") == segment_id or any(
            _names(v, segment_id) for v in value.values()
        )
    if isinstance(value, list):
        return any(_names(v, segment_id) for v in value)
    return False
