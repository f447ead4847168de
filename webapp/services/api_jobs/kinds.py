"""The job kinds the Job API may enqueue, and its reads and changes of those jobs.

Only the kinds in `API_KINDS` are reachable through the API: enqueued, read, retried or
cancelled. The engine's other jobs (sequence messages, coach follow-ups, setup steps)
belong to their areas, which keep their own rows in step with them; to the API they do
not exist (404). Every job is the workspace's own: another workspace's id is absent too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from webapp import queue
from webapp.models.queue import QueuedJob
from webapp.queue import control
from webapp.services.api_jobs import email_send, leads_export, weekly_report
from webapp.services.api_jobs.errors import JobRefused

# kind -> its check at enqueue time (raises JobRefused); the payload's shape is checked by
# the API's model of the kind (webapp/web/api/job_schemas.py).
CHECKS: dict[str, Callable[[Session, int, dict, datetime], None]] = {
    email_send.KIND: email_send.check,
    leads_export.KIND: leads_export.check,
    weekly_report.KIND: weekly_report.check,
}
API_KINDS = tuple(sorted(CHECKS))
MAX_KEY = 120

__all__ = ["API_KINDS", "JobRefused"]


def enqueue_api_job(
    session: Session,
    org_id: int,
    kind: str,
    payload: dict,
    *,
    key: str | None,
    now: datetime,
) -> tuple[QueuedJob, bool]:
    """Enqueue a job of an API kind for the workspace. With `key`, idempotent: a second
    call with the same key returns the first job and False. Raises JobRefused."""
    if kind not in CHECKS:
        raise JobRefused("kind", f"unknown job kind; one of {', '.join(API_KINDS)}")
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise JobRefused("idempotency_key", f"must be 1 to {MAX_KEY} characters")
    CHECKS[kind](session, org_id, payload, now)
    scoped_key = f"api:{org_id}:{key if key is not None else uuid.uuid4().hex}"
    return queue.submit(session, kind, payload, key=scoped_key, now=now, org_id=org_id)


def find_api_job(session: Session, org_id: int, job_id: int) -> QueuedJob | None:
    return control.find_job(session, job_id, org_id=org_id, kinds=API_KINDS)


def retry_api_job(session: Session, org_id: int, job_id: int, *, now: datetime) -> bool:
    """A failed job of the workspace back to pending. False when it is not failed."""
    return control.retry_failed(session, job_id, org_id=org_id, kinds=API_KINDS, now=now)


def cancel_api_job(session: Session, org_id: int, job_id: int, *, now: datetime) -> bool:
    """Cancel a pending job of the workspace. False when it runs or has finished."""
    return control.cancel_pending(
        session,
        job_id,
        org_id=org_id,
        kinds=API_KINDS,
        now=now,
        reason="Cancelled through the API.",
    )
