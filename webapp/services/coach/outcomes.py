"""What happens to a coach follow-up once its job has run: the message recorded, the
follow-up finished (sent, skipped, failed) with the next regular one scheduled (and
queued), moved to a later due time, or marked for a retry; and the run's activity summary.

Every function writes in the caller's session — the work engine's transaction that also
records the job's outcome under its lease (coach/process.py) — and never commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, insert, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.integrations.resilience import FIXES
from webapp.models import (
    ActivityLog,
    CoachFollowup,
    CoachSettings,
    Conversation,
    ConversationMessage,
    Lead,
)
from webapp.models.coach import open_key
from webapp.services.coach import work
from webapp.services.coach.schedule import next_due

# Per-message statements use the tables (Core): the ORM's bulk-statement machinery costs more
# than the statement itself at 10,000 messages a tick.
FOLLOWUPS = CoachFollowup.__table__
CONVERSATIONS = Conversation.__table__
MESSAGES = ConversationMessage.__table__

# The next follow-up as SQL text, compiled once: the dialects' INSERT … ON CONFLICT has no
# cache key in SQLAlchemy 2.0, so it would be compiled again for every message sent.
_NEXT_FOLLOWUP = (
    text(
        "INSERT INTO coach_followups (org_id, lead_id, conversation_id, kind, due_at, status, "
        "open_key, attempts, created_at, updated_at) VALUES (:org_id, :lead_id, "
        ":conversation_id, 'followup', :due_at, 'pending', :open_key, 0, :now, :now) "
        "ON CONFLICT (open_key) DO NOTHING RETURNING id"
    )
    .bindparams(
        bindparam("due_at", type_=FOLLOWUPS.c.due_at.type),
        bindparam("now", type_=FOLLOWUPS.c.created_at.type),
    )
    .columns(FOLLOWUPS.c.id)
)


@dataclass
class CoachResult:
    sent: int = 0
    replies: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    # Back to pending without an attempt: window, pacing, open circuit.
    deferred: int = 0
    batches: int = 0
    details: list[str] = field(default_factory=list)
    per_org: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def count(self, org_id: int, what: str) -> None:
        setattr(self, what, getattr(self, what) + 1)
        self.per_org[org_id][what] += 1

    def note(self, line: str) -> None:
        if line not in self.details:
            self.details.append(line)


def _bound(table, *names: str) -> dict:
    """{column: its bound parameter, typed as the column (times are stored as UTC)}."""
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


def _as(column, name: str):
    return bindparam(name, type_=column.type)


# The statements each message runs, built once with bound parameters: building and keying
# a statement per message cost more than running it. Optional columns are kept as they
# were when their parameter is None (coalesce).
_ADD_MESSAGE = (
    insert(MESSAGES)
    .values(
        _bound(
            MESSAGES,
            "conversation_id",
            "org_id",
            "direction",
            "body",
            "kind",
            "provider",
            "provider_sid",
            "status",
            "ai_provider",
            "followup_id",
            "created_at",
        )
    )
    .returning(MESSAGES.c.id)
)
_CONVERSATION_GREW = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("conversation"))
    .values(
        last_message_at=_as(CONVERSATIONS.c.last_message_at, "now"),
        last_preview=bindparam("preview"),
        message_count=CONVERSATIONS.c.message_count + 1,
        updated_at=_as(CONVERSATIONS.c.updated_at, "now"),
        last_outbound_at=func.coalesce(
            _as(CONVERSATIONS.c.last_outbound_at, "outbound_at"), CONVERSATIONS.c.last_outbound_at
        ),
    )
)
_FINISH = (
    update(FOLLOWUPS)
    .where(FOLLOWUPS.c.id == bindparam("followup"))
    .values(
        open_key=None,
        sent_at=func.coalesce(_as(FOLLOWUPS.c.sent_at, "sent"), FOLLOWUPS.c.sent_at),
        attempts=func.coalesce(_as(FOLLOWUPS.c.attempts, "tries"), FOLLOWUPS.c.attempts),
        **_bound(FOLLOWUPS, "status", "updated_at", "last_error", "error_class", "message_id"),
    )
)


def record_message(
    session: Session,
    followup: CoachFollowup,
    text: str,
    receipt,  # a delivery SendReceipt, or None for a message not delivered
    ai_provider: str | None,
    status: str,
    *,
    now: datetime,
) -> int:
    """Add the outgoing message to the conversation. Returns its id."""
    message_id = session.execute(
        _ADD_MESSAGE,
        {
            "conversation_id": followup.conversation_id,
            "org_id": followup.org_id,
            "direction": "out",
            "body": text,
            "kind": followup.kind,
            "provider": receipt.provider if receipt else None,
            "provider_sid": receipt.provider_message_id if receipt else None,
            "status": status,
            "ai_provider": ai_provider,
            "followup_id": followup.id,
            "created_at": now,
        },
    ).scalar_one()
    session.execute(
        _CONVERSATION_GREW,
        {
            "conversation": followup.conversation_id,
            "now": now,
            "preview": text[:200],
            "outbound_at": now if status == "sent" else None,
        },
    )
    return message_id


def finish(
    session: Session,
    followup: CoachFollowup,
    status: str,
    *,
    now: datetime,
    message_id: int | None = None,
    error: str | None = None,
    error_class: str | None = None,
    conversation_status: str | None = None,
    settings: CoachSettings | None = None,
    tz: str | None = None,
    attempts: int | None = None,
) -> None:
    """Close the follow-up (sent | skipped | failed) and, for a regular follow-up that was
    sent or failed, schedule and queue the next one."""
    session.execute(
        _FINISH,
        {
            "followup": followup.id,
            "status": status,
            "updated_at": now,
            "last_error": error,
            "error_class": error_class,
            "message_id": message_id,
            "sent": now if status == "sent" else None,
            "tries": attempts,
        },
    )
    if followup.kind == "followup" and status in ("sent", "failed") and settings is not None:
        schedule_next(session, followup, next_due(settings, now, tz or "UTC"), now)
    if conversation_status:
        session.execute(
            update(CONVERSATIONS)
            .where(CONVERSATIONS.c.id == followup.conversation_id)
            .values(status=conversation_status, status_reason=error, updated_at=now)
        )


def schedule_next(session: Session, followup: CoachFollowup, due: datetime, now: datetime) -> None:
    """The contact's next regular follow-up, due at `due`, with its job."""
    new_id = session.execute(
        _NEXT_FOLLOWUP,
        {
            "org_id": followup.org_id,
            "lead_id": followup.lead_id,
            "conversation_id": followup.conversation_id,
            "due_at": due,
            "open_key": open_key("followup", followup.lead_id),
            "now": now,
        },
    ).scalar_one_or_none()
    if new_id is not None:
        job = work.new_job(new_id, "followup", followup.org_id, followup.conversation_id, due)
        work.enqueue(session, [job], now=now)


def move_due(session: Session, followup_id: int, due: datetime, now: datetime) -> None:
    """The follow-up waits until `due` (its job is put back to the same moment)."""
    session.execute(
        update(FOLLOWUPS)
        .where(FOLLOWUPS.c.id == followup_id, FOLLOWUPS.c.status == "pending")
        .values(due_at=due, updated_at=now)
    )


def record_retry(
    session: Session,
    followup_id: int,
    *,
    attempts: int,
    due: datetime,
    error: str,
    error_class: str,
    now: datetime,
) -> None:
    """A failed attempt that will be tried again at `due` (the job's new run_at)."""
    session.execute(
        update(FOLLOWUPS)
        .where(FOLLOWUPS.c.id == followup_id, FOLLOWUPS.c.status == "pending")
        .values(
            attempts=attempts,
            due_at=due,
            last_error=error[:1000],
            error_class=error_class,
            updated_at=now,
        )
    )


def record_failure(
    session: Session,
    followup: CoachFollowup,
    *,
    error: str,
    error_class: str,
    attempts: int,
    lead: Lead | None,
    settings: CoachSettings | None,
    tz: str,
    now: datetime,
) -> None:
    """Failed for good: a failed message in the conversation, the follow-up failed, the
    next regular one scheduled, and an activity row that says what to fix."""
    record_message(
        session, followup, f"Not delivered: {error}"[:1000], None, None, "failed", now=now
    )
    finish(
        session,
        followup,
        "failed",
        now=now,
        error=error[:1000],
        error_class=error_class,
        attempts=attempts,
        settings=settings,
        tz=tz,
    )
    name = lead.display_name if lead is not None else f"contact {followup.lead_id}"
    fix = FIXES.get(error_class, "")
    session.execute(
        insert(ActivityLog).values(
            org_id=followup.org_id,
            actor_id=None,
            type="coach.failed",
            description=f"WhatsApp coach could not send to {name}: {error}. {fix}".strip(),
            entity_type="conversation",
            entity_id=str(followup.conversation_id),
            details={
                "error_class": error_class,
                "followup_id": followup.id,
                "attempts": attempts,
            },
            created_at=now,
        )
    )


def summarise(engine: Engine, result: CoachResult, now: datetime) -> None:
    """One activity row per workspace for this run, in one transaction."""
    rows = []
    for org_id, counts in result.per_org.items():
        parts = [f"{counts['sent']} follow-up{'s' if counts['sent'] != 1 else ''} sent"]
        for key, word in (
            ("replies", "automatic repl{}"),
            ("skipped", "skipped"),
            ("retried", "to retry"),
            ("failed", "failed"),
        ):
            if counts[key]:
                label = word.format("ies" if counts[key] != 1 else "y") if "{}" in word else word
                parts.append(f"{counts[key]} {label}")
        rows.append(
            {
                "org_id": org_id,
                "actor_id": None,
                "type": "coach.run",
                "description": "WhatsApp coach: " + ", ".join(parts) + ".",
                "entity_type": None,
                "entity_id": None,
                "details": dict(counts),
                "created_at": now,
            }
        )
    if not rows:
        return
    with Session(engine) as session:
        begin_write(session)
        session.execute(insert(ActivityLog), rows)
        session.commit()
