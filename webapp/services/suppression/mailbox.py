"""The bounce mailbox: the workspace's VERP return path delivers bounces and abuse reports
to a mailbox (POP3 over TLS) whose credentials the owner saves, encrypted like every other
integration (services/connections, provider "bounces"). Each run reads new messages and,
for each one whose VERP token is genuine, suppresses the address that send went to: a hard
bounce (a permanent failure) or a complaint. Temporary failures change nothing. A message
with no token or a forged one is ignored and kept for a person to read; a report acted on
(or already acted on: idempotent on the message's hash) is deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.integrations.email import bounces
from webapp.integrations.resilience import IntegrationError, ProbeFailed
from webapp.models.sequence import Send
from webapp.services.activity import log_activity
from webapp.services.connections import (
    credential_rows,
    delete_credentials,
    load_credentials,
    save_credentials,
)
from webapp.services.suppression.store import first_time, suppress
from webapp.services.suppression.verp import parse_verp

PER_RUN = 200  # messages read per run; the rest wait for the next


@dataclass
class MailboxRun:
    read: int = 0
    suppressed: list[str] = field(default_factory=list)
    ignored: int = 0  # no genuine VERP token: kept in the mailbox
    temporary: int = 0  # delayed / temporary failures: nothing to do
    error: str | None = None


def mailbox_settings(values: dict[str, str]) -> bounces.MailboxSettings:
    cafile = current_app.config.get("BOUNCE_MAILBOX_CAFILE") if has_app_context() else None
    return bounces.MailboxSettings(
        host=values["host"],
        port=int(values.get("port") or 995),
        username=values.get("username", ""),
        password=values.get("password", ""),
        cafile=cafile or None,
    )


def check_bounce_mailbox(session: Session, org_id: int) -> tuple[bool, str]:
    """Sign in to the saved mailbox and count its messages: (worked, what happened)."""
    values = load_credentials(session, org_id, "bounces")
    if not values:
        return False, "No bounce mailbox is saved yet."
    try:
        return True, bounces.probe(mailbox_settings(values))
    except ProbeFailed as exc:
        return False, str(exc)


def read_bounce_mailbox(
    session: Session, org_id: int, *, now: datetime, commit: Callable[[], None]
) -> MailboxRun | None:
    """Read the workspace's bounce mailbox once (None when it has none). `commit` is the
    caller's: the suppressions are committed before the mailbox deletes their messages."""
    values = load_credentials(session, org_id, "bounces")
    if not values:
        return None
    run = MailboxRun()
    try:
        with bounces.open_mailbox(mailbox_settings(values)) as box:
            done = []
            for number in box.numbers(PER_RUN):
                raw = box.fetch(number)
                run.read += 1
                if _handle(session, org_id, raw, run, now):
                    done.append(number)
            _log(session, org_id, run, now)
            commit()  # what was learnt is saved before the messages go
            for number in done:
                box.delete(number)
    except IntegrationError as exc:
        run.error = str(exc)
        _log(session, org_id, run, now)
    return run


def _handle(session: Session, org_id: int, raw: bytes, run: MailboxRun, now: datetime) -> bool:
    """Act on one message; True when it may be deleted."""
    report = bounces.parse_report(raw)
    send_id = next((s for s in map(parse_verp, report.recipients) if s is not None), None)
    if report.kind is None or send_id is None:
        run.ignored += 1
        return False
    event_id = hashlib.sha256(raw).hexdigest()
    if not first_time(session, org_id, "mailbox", event_id, {"kind": report.kind}, now):
        return True
    send = session.scalar(select(Send).where(Send.id == send_id, Send.org_id == org_id))
    if send is None or not send.to or send.channel != "email":
        run.ignored += 1
        return True  # a genuine token of a send since deleted: nothing left to do
    if report.kind == "bounce" and not report.permanent:
        run.temporary += 1
        return True
    reason = "complaint" if report.kind == "complaint" else "hard_bounce"
    suppress(session, org_id, "email", send.to, reason=reason, now=now,
             detail=report.detail, source="mailbox")  # fmt: skip
    run.suppressed.append(send.to)
    return True


def _log(session: Session, org_id: int, run: MailboxRun, now: datetime) -> None:
    if run.error:
        text = f"The bounce mailbox could not be read: {run.error}"
    elif not run.read:
        return
    else:
        text = (
            f"Bounce mailbox: {run.read} message{'s' if run.read != 1 else ''} read, "
            f"{len(run.suppressed)} address{'es' if len(run.suppressed) != 1 else ''} suppressed"
            f"{', ' + str(run.temporary) + ' temporary' if run.temporary else ''}"
            f"{', ' + str(run.ignored) + ' not ours (kept)' if run.ignored else ''}."
        )
    log_activity(session, org_id, "bounces.mailbox_read", text, now=now,
                 details={"suppressed": run.suppressed[:50], "error": run.error})  # fmt: skip


def mailbox_workspaces(session: Session, org_id: int | None = None) -> list[int]:
    """The workspaces with a bounce mailbox saved (only `org_id`, when given)."""
    from webapp.models import IntegrationCredential

    query = select(IntegrationCredential.org_id).where(IntegrationCredential.provider == "bounces")
    if org_id is not None:
        query = query.where(IntegrationCredential.org_id == org_id)
    return list(session.scalars(query.order_by(IntegrationCredential.org_id)))


def mailbox_hint(session: Session, org_id: int) -> dict | None:
    """What may be shown of the saved mailbox (the password masked), or None."""
    row = credential_rows(session, org_id).get("bounces")
    return dict(row.hint) if row is not None else None


def save_bounce_mailbox(
    session: Session, org_id: int, values: dict[str, str], *, actor_id: int | None, now: datetime
) -> None:
    """Save the mailbox's settings, encrypted (a blank password keeps the saved one)."""
    save_credentials(session, org_id, "bounces", values, actor_id=actor_id, now=now)


def remove_bounce_mailbox(
    session: Session, org_id: int, *, actor_id: int | None, now: datetime
) -> bool:
    return delete_credentials(session, org_id, "bounces", actor_id=actor_id, now=now)
