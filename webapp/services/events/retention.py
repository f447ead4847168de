"""How long events are kept: a setting per workspace (RETENTION_DEFAULT days unless an
owner changes it), applied by housekeeping in bounded batches."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from webapp.models import Event, Organization

RETENTION_DEFAULT = 400
RETENTION_MIN = 30
RETENTION_MAX = 3650
PRUNE_BATCH = 5000  # rows per call: one short write transaction each


def prune_events(session: Session, *, now: datetime, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` events that arrived longer ago than their workspace keeps them.
    Returns how many; the caller commits and calls again while it gets `limit` (each call
    is one bounded transaction). One query per distinct retention setting (a handful, most
    workspaces keep the default), each walking (org_id, received_at) per workspace."""
    deleted = 0
    settings = session.scalars(
        select(Organization.event_retention_days)
        .distinct()
        .order_by(Organization.event_retention_days)
    ).all()
    for days in settings:
        keeping = select(Organization.id).where(Organization.event_retention_days == days)
        ids = list(
            session.scalars(
                select(Event.id)
                .where(
                    Event.org_id.in_(keeping),
                    Event.received_at < now - timedelta(days=days or RETENTION_DEFAULT),
                )
                .limit(limit - deleted)
            )
        )
        if ids:
            session.execute(
                delete(Event).where(Event.id.in_(ids)).execution_options(synchronize_session=False)
            )
            deleted += len(ids)
        if deleted >= limit:
            break
    return deleted
