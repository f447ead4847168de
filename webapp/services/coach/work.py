"""The coach's follow-ups as jobs of the work engine (webapp.queue): kind "coach.followup".

Every follow-up that is to be sent is a CoachFollowup row (what the pages show: kind,
due time, status, message) and a queue job that sends it: payload {"followup_id": id},
idempotency key "coach:<kind>:<id>" (one job per follow-up, whoever enqueues it), lock key
"conversation:<id>" (one worker writes to a conversation at a time), run_at = the
follow-up's due time. The job's kind, handler and retry policy are in coach/process.py;
this module only queues and moves jobs, so the modules that create follow-ups can use it
without importing the worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models.queue import QueuedJob

KIND = "coach.followup"
MAX_ATTEMPTS = 3  # a follow-up is tried three times (retryable error classes only)


def job_key(kind: str, followup_id: int) -> str:
    """The idempotency key of a follow-up's job; `kind` is the follow-up's (followup|reply)."""
    return f"coach:{kind}:{followup_id}"


def lock_key(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def new_job(
    followup_id: int, kind: str, org_id: int, conversation_id: int, due_at: datetime
) -> queue.NewJob:
    return queue.NewJob(
        KIND,
        job_key(kind, followup_id),
        {"followup_id": followup_id},
        due_at,
        org_id=org_id,
        max_attempts=MAX_ATTEMPTS,
        lock_key=lock_key(conversation_id),
    )


def enqueue(session: Session, jobs: Iterable[queue.NewJob], *, now: datetime) -> int:
    """Queue the follow-ups' jobs (in the caller's transaction). Returns how many were new."""
    return queue.enqueue_many(session, jobs, now=now)


def is_running(session: Session, kind: str, followup_id: int) -> bool:
    """Whether a worker is sending this follow-up right now (its job is processing)."""
    return (
        session.scalar(
            select(QueuedJob.id).where(
                QueuedJob.idempotency_key == job_key(kind, followup_id),
                QueuedJob.status == "processing",
            )
        )
        is not None
    )


def move(
    session: Session, kind: str, followup_ids: list[int], *, due_at: datetime, now: datetime
) -> int:
    """Move the pending jobs of these follow-ups to `due_at` (their rows moved already)."""
    moved = 0
    for start in range(0, len(followup_ids), 500):
        keys = [job_key(kind, i) for i in followup_ids[start : start + 500]]
        moved += queue.reschedule(
            session,
            QueuedJob.kind == KIND,
            QueuedJob.idempotency_key.in_(keys),
            run_at=due_at,
            now=now,
        )
    return moved
