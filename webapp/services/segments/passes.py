"""Whole-segment passes the scheduled jobs run: time-relative segments hourly (their
rules read "now", so members leave as windows close without any contact changing), and
every segment nightly, which repairs any drift between stored membership and the rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models import Segment
from webapp.services.segments.membership import evaluate_segment, ordered
from webapp.services.segments.rules import RulesInvalid

log = logging.getLogger(__name__)


def reevaluate(
    session: Session,
    now: datetime,
    *,
    org_id: int | None = None,
    time_relative_only: bool,
    after_each: Callable[[], None] | None = None,
) -> dict:
    """Diff each chosen segment against its rules, `after_each` (the job's commit) after
    each one. Returns what changed, for the job's run row."""
    query = select(Segment)
    if org_id is not None:
        query = query.where(Segment.org_id == org_id)
    if time_relative_only:
        query = query.where(Segment.time_relative.is_(True))
    summary = {"segments": 0, "entered": 0, "exited": 0, "skipped": 0, "changed": []}
    chosen = [s.id for s in ordered(list(session.scalars(query)))]
    for segment_id in chosen:
        # A write transaction from the start: the pass reads, then writes (see core/db.py).
        begin_write(session)
        segment = session.get(Segment, segment_id)
        if segment is None:  # deleted meanwhile
            continue
        try:
            diff = evaluate_segment(session, segment, now)
        except RulesInvalid as exc:  # an attribute it reads is no longer declared
            log.warning("segment %s not evaluated: %s", segment.id, exc)
            summary["skipped"] += 1
            continue
        summary["segments"] += 1
        summary["entered"] += len(diff.entered)
        summary["exited"] += len(diff.exited)
        if diff.entered or diff.exited:
            summary["changed"].append(
                {"segment_id": segment.id, "entered": len(diff.entered), "exited": len(diff.exited)}
            )
        if after_each is not None:
            after_each()
    summary["changed"] = summary["changed"][:20]
    return summary
