"""Holding a workspace's email when the relay refuses *us* (issue 14 item 7).

A sign-in refused (530/535), TLS that fails, "relay access denied" or a 5.7.x policy about
the sender are not the contact's fault: failing each message would fail every contact in
turn. Instead the workspace's SMTP breaker goes to `held` (integrations/resilience.py,
`Breaker.hold`) with the reason, for 5 minutes doubling to an hour; the refused message
and the rest wait in the queue (their attempt given back) with the reason as their last
error, and the health page shows the hold with its fix. Sending resumes after the backoff
(one trial message), or at once when the owner saves the SMTP settings or "Test
connection" succeeds (`resume_email`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.integrations.resilience import Breaker, CircuitOpen, IntegrationError
from webapp.models import QueuedJob
from webapp.services.suppression import Verdict, smtp_verdict

LIFTED_BY = ("smtp", "dkim")  # saving or removing these ends a hold on the workspace's email
HELD = "Held: "  # in a held job's last error (how `resume_email` finds them)
PROVIDER = "smtp"


def hold_verdict(channel: str, error: IntegrationError) -> Verdict | None:
    """The verdict when `error` should hold the workspace's sending, else None."""
    if channel != "email" or isinstance(error, CircuitOpen):
        return None
    verdict = smtp_verdict(error)
    return verdict if verdict is not None and verdict.action == "hold" else None


def held_reason(verdict: Verdict, error: IntegrationError) -> str:
    """What a held message and the health page say: the verdict, then the server's words."""
    return f"{HELD}{verdict.reason} The server said: {str(error).rstrip('.')}."


def hold_email(
    engine: Engine, org_id: int | None, verdict: Verdict, error: IntegrationError, now: datetime
) -> datetime:
    """Hold the workspace's email (a short transaction of its own: call it with none open).
    Returns when sending is tried again."""
    return Breaker(engine, org_id or 0, PROVIDER).hold(now, error, held_reason(verdict, error))


def held_error(
    engine: Engine, org_id: int | None, error: IntegrationError, now: datetime
) -> IntegrationError:
    """For a single send (a report, an alert): `error` as a CircuitOpen when it holds the
    workspace's sending (the caller then retries at its `retry_at` without spending an
    attempt), else `error` itself."""
    verdict = hold_verdict("email", error)
    if verdict is None:
        return error
    until = hold_email(engine, org_id, verdict, error, now)
    return CircuitOpen(PROVIDER, until, held=held_reason(verdict, error))


def resume_email(session: Session, org_id: int, *, now: datetime) -> int:
    """The owner changed the SMTP settings or a test succeeded: lift the hold and bring
    the held messages forward. Flushes, in the caller's transaction. Returns how many."""
    Breaker(session.connection(), org_id, PROVIDER).reset(now)
    return queue.reschedule(
        session,
        QueuedJob.org_id == org_id,
        QueuedJob.last_error.contains(HELD),
        QueuedJob.run_at > now,
        run_at=now,
        now=now,
    )


def settings_changed(session: Session, org_id: int, provider: str, *, now: datetime) -> None:
    """The workspace's `provider` settings were saved or removed: new email settings end a
    hold at once (the held messages are tried with them). Flushes."""
    if provider in LIFTED_BY:
        resume_email(session, org_id, now=now)
