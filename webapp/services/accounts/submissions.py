"""Create forms sent once: a form carries a one-time token; the first submission records it
with where it led, and a second one with the same token (a double click, a resend after a
slow answer) is told to go there instead of creating the thing again.

`claim` runs in the view's own transaction, before the view; a form the view refused (an
answer of 400 or more: field errors) is released, so it may be sent again once corrected.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from webapp.models import FormSubmission

KEEP = timedelta(days=1)  # long enough for any resend; purged as new ones come
TOKEN = re.compile(r"^[0-9a-f]{32}$")


class AlreadySent(Exception):
    """The form was sent before; `result_url` is where it led (None: still being handled)."""

    def __init__(self, result_url: str | None) -> None:
        super().__init__(result_url or "")
        self.result_url = result_url


def claim(session: Session, user_id: int, token: str, *, now: datetime) -> FormSubmission | None:
    """Record the token (flushed, in the caller's transaction). None for a malformed token,
    which guards nothing; raises AlreadySent when it was claimed before."""
    if not TOKEN.match(token or ""):
        return None
    earlier = session.scalars(
        select(FormSubmission).where(
            FormSubmission.user_id == user_id, FormSubmission.token == token
        )
    ).one_or_none()
    if earlier is not None:
        raise AlreadySent(earlier.result_url)
    session.execute(
        delete(FormSubmission).where(
            FormSubmission.user_id == user_id, FormSubmission.created_at < now - KEEP
        )
    )
    row = FormSubmission(user_id=user_id, token=token, created_at=now)
    session.add(row)
    session.flush()
    return row


def record_result(session: Session, submission_id: int, result_url: str) -> None:
    """Where the first submission led (flushed)."""
    row = session.get(FormSubmission, submission_id)
    if row is not None:  # absent when the view did not commit its work
        row.result_url = result_url[:500]
        session.flush()


def release(session: Session, submission_id: int) -> None:
    """Forget a claim whose form was refused (flushed)."""
    session.execute(delete(FormSubmission).where(FormSubmission.id == submission_id))
