"""What happens to a coach follow-up after it was tried: the message recorded, the
follow-up finished (sent, skipped, failed) with the next regular one scheduled, put back
without spending an attempt, or retried with backoff; and the run's activity summary.

`Outcomes` is the half of coach_process's worker that writes results; every method uses a
short transaction of its own (or the caller's, `session=`) and only touches follow-ups and
conversations this worker still leases.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import clock as app_clock
from webapp.db_setup import begin_write
from webapp.integrations.resilience import FIXES, IntegrationError
from webapp.models import (
    ActivityLog,
    CoachFollowup,
    CoachSettings,
    Conversation,
    ConversationMessage,
    Lead,
)
from webapp.models.coach import open_key
from webapp.services.coach_schedule import next_due

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BASE_DELAY_SECONDS = {"RATE_LIMITED": 60, "INTEGRATION_OFFLINE": 30}
DEFAULT_DELAY_SECONDS = 15

# Per-message statements use the tables (Core): the ORM's bulk-statement machinery costs more
# than the statement itself at 10,000 messages a tick.
FOLLOWUPS = CoachFollowup.__table__
CONVERSATIONS = Conversation.__table__
MESSAGES = ConversationMessage.__table__


@dataclass
class CoachResult:
    sent: int = 0
    replies: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = (
        0  # back to pending without an attempt: window, pacing, open circuit, busy conversation
    )
    batches: int = 0
    details: list[str] = field(default_factory=list)
    per_org: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def count(self, org_id: int, what: str) -> None:
        setattr(self, what, getattr(self, what) + 1)
        self.per_org[org_id][what] += 1

    def note(self, line: str) -> None:
        if line not in self.details:
            self.details.append(line)


def backoff(error: IntegrationError, attempts: int) -> timedelta:
    base = BASE_DELAY_SECONDS.get(str(error.error_class), DEFAULT_DELAY_SECONDS)
    seconds = max(float(error.retry_after or 0), base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, 6 * 3600))


@dataclass
class Item:
    """One claimed follow-up."""

    id: int
    org_id: int
    lead_id: int
    conversation_id: int
    kind: str
    attempts: int


class RunState:
    """What the worker's halves share; coach_process._Run sets these attributes."""

    engine: Engine
    owner: str
    now: datetime
    result: CoachResult

    def clock(self) -> datetime:
        """The present (never before the run's `now`): leases must start from it, not from `now`."""
        return max(self.now, app_clock.now())


class Outcomes(RunState):
    """Recording results; mixed into coach_process._Run."""

    failures: list[dict]

    def record(
        self,
        session: Session,
        item: Item,
        text: str,
        receipt,
        ai_provider: str | None,
        status: str,
    ) -> int:  # noqa: ANN001
        current = self.clock()
        message_id = session.execute(
            insert(MESSAGES)
            .values(
                conversation_id=item.conversation_id,
                org_id=item.org_id,
                direction="out",
                body=text,
                kind=item.kind,
                provider=receipt.provider if receipt else None,
                provider_sid=receipt.provider_message_id if receipt else None,
                status=status,
                ai_provider=ai_provider,
                followup_id=item.id,
                created_at=current,
            )
            .returning(MESSAGES.c.id)
        ).scalar_one()
        values = {
            "last_message_at": current,
            "last_preview": text[:200],
            "message_count": CONVERSATIONS.c.message_count + 1,
            "updated_at": current,
        }
        if status == "sent":
            values["last_outbound_at"] = current
        session.execute(
            update(CONVERSATIONS).where(CONVERSATIONS.c.id == item.conversation_id).values(**values)
        )
        return message_id

    def finish(
        self,
        item: Item,
        status: str,
        release: bool,
        *,
        session: Session | None = None,
        message_id: int | None = None,
        error: str | None = None,
        error_class: str | None = None,
        conversation_status: str | None = None,
        lead: Lead | None = None,
        settings: CoachSettings | None = None,
        tz: str | None = None,
        attempts: int | None = None,
    ) -> bool:
        """Close the follow-up (sent | skipped | failed), schedule the regular next one, and
        release the conversation when this was its last follow-up of the batch. Returns False
        when the follow-up is no longer this worker's (its lease expired and another worker
        took it): the caller must then roll back what it wrote for it in `session`."""
        own = session is None
        if own:
            session = Session(self.engine)
            begin_write(session)
        try:
            current = self.clock()
            f = FOLLOWUPS.c
            values = {
                "status": status,
                "open_key": None,
                "lease_owner": None,
                "lease_until": None,
                "updated_at": current,
                "last_error": error,
                "error_class": error_class,
                "message_id": message_id,
            }
            if status == "sent":
                values["sent_at"] = current
            if attempts is not None:
                values["attempts"] = attempts
            done = session.execute(
                update(FOLLOWUPS)
                .where(f.id == item.id, f.lease_owner == self.owner, f.status == "processing")
                .values(**values)
            ).rowcount
            if not done:
                log.warning("coach follow-up %s: lease lost before it was recorded", item.id)
            if (
                done
                and item.kind == "followup"
                and status in ("sent", "failed")
                and settings is not None
            ):
                self.schedule_next(session, item, next_due(settings, current, tz or "UTC"), current)
            conv_values: dict = {}
            if release:
                conv_values.update(lease_owner=None, lease_until=None)
            if conversation_status:
                conv_values.update(
                    status=conversation_status, status_reason=error, updated_at=current
                )
            if conv_values:
                session.execute(
                    update(CONVERSATIONS)
                    .where(
                        CONVERSATIONS.c.id == item.conversation_id,
                        CONVERSATIONS.c.lease_owner == self.owner,
                    )
                    .values(**conv_values)
                )
            if own:
                session.commit()
            return bool(done)
        finally:
            if own:
                session.close()

    def schedule_next(self, session: Session, item: Item, due: datetime, now: datetime) -> None:
        insert_ = _dialect_insert(self.engine)
        session.execute(
            insert_(FOLLOWUPS)
            .values(
                org_id=item.org_id,
                lead_id=item.lead_id,
                conversation_id=item.conversation_id,
                kind="followup",
                due_at=due,
                status="pending",
                open_key=open_key("followup", item.lead_id),
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["open_key"])
        )

    def put_back(
        self, items: list[Item], at: datetime | None, last: dict[int, int], *, count: bool = True
    ) -> None:
        """Back to pending without spending an attempt (at `at`, or unchanged due time)."""
        if not items:
            return
        current = self.clock()
        values: dict = {
            "status": "pending",
            "lease_owner": None,
            "lease_until": None,
            "updated_at": current,
        }
        if at is not None:
            values["due_at"] = at
        releases = [i.conversation_id for i in items if last.get(i.conversation_id) == i.id]
        with Session(self.engine) as session:
            begin_write(session)
            session.execute(
                update(CoachFollowup)
                .where(
                    CoachFollowup.id.in_([i.id for i in items]),
                    CoachFollowup.lease_owner == self.owner,
                )
                .values(**values)
            )
            if releases:
                session.execute(
                    update(Conversation)
                    .where(Conversation.id.in_(releases), Conversation.lease_owner == self.owner)
                    .values(lease_owner=None, lease_until=None)
                )
            session.commit()
        if count:
            self.result.deferred += len(items)

    def fail(
        self,
        item: Item,
        error: IntegrationError,
        release: bool,
        *,
        lead: Lead | None,
        settings: CoachSettings | None,
        tz: str,
    ) -> None:
        """A retryable error goes back with backoff until MAX_ATTEMPTS; anything else fails
        (a failed message in the conversation, the next regular follow-up scheduled)."""
        attempts = item.attempts + 1
        if error.retryable and attempts < MAX_ATTEMPTS:
            with Session(self.engine) as session:
                begin_write(session)
                session.execute(
                    update(CoachFollowup)
                    .where(CoachFollowup.id == item.id, CoachFollowup.lease_owner == self.owner)
                    .values(
                        status="pending",
                        attempts=attempts,
                        due_at=self.clock() + backoff(error, attempts),
                        last_error=str(error)[:1000],
                        error_class=str(error.error_class),
                        lease_owner=None,
                        lease_until=None,
                        updated_at=self.clock(),
                    )
                )
                if release:
                    session.execute(
                        update(Conversation)
                        .where(
                            Conversation.id == item.conversation_id,
                            Conversation.lease_owner == self.owner,
                        )
                        .values(lease_owner=None, lease_until=None)
                    )
                session.commit()
            self.result.count(item.org_id, "retried")
            return
        with Session(self.engine) as session:
            begin_write(session)
            self.record(session, item, f"Not delivered: {error}"[:1000], None, None, "failed")
            ours = self.finish(
                item,
                "failed",
                release,
                session=session,
                error=str(error)[:1000],
                error_class=str(error.error_class),
                attempts=attempts,
                lead=lead,
                settings=settings,
                tz=tz,
            )
            if not ours:  # another worker has it now: its outcome is the one that counts
                session.rollback()
                return
            session.commit()
        self.result.count(item.org_id, "failed")
        name = lead.display_name if lead is not None else f"contact {item.lead_id}"
        self.failures.append(
            {
                "org_id": item.org_id,
                "type": "coach.failed",
                "description": f"WhatsApp coach could not send to {name}: {error}. {FIXES.get(error.error_class, '')}".strip(),
                "entity_type": "conversation",
                "entity_id": str(item.conversation_id),
                "details": {
                    "error_class": str(error.error_class),
                    "followup_id": item.id,
                    "attempts": attempts,
                },
            }
        )

    # --- the summary --------------------------------------------------------------------------

    def summarise(self) -> None:
        """One activity row per workspace for this run, plus one per failure: one transaction."""
        rows = list(self.failures)
        for org_id, counts in self.result.per_org.items():
            parts = [f"{counts['sent']} follow-up{'s' if counts['sent'] != 1 else ''} sent"]
            for key, word in (
                ("replies", "automatic repl{}"),
                ("skipped", "skipped"),
                ("retried", "to retry"),
                ("failed", "failed"),
            ):
                if counts[key]:
                    label = (
                        word.format("ies" if counts[key] != 1 else "y") if "{}" in word else word
                    )
                    parts.append(f"{counts[key]} {label}")
            rows.append(
                {
                    "org_id": org_id,
                    "type": "coach.run",
                    "description": "WhatsApp coach: " + ", ".join(parts) + ".",
                    "entity_type": None,
                    "entity_id": None,
                    "details": dict(counts),
                }
            )
        if not rows:
            return
        current = self.clock()
        with Session(self.engine) as session:
            begin_write(session)
            session.execute(
                insert(ActivityLog),
                [{**row, "actor_id": None, "created_at": current} for row in rows],
            )
            session.commit()


def _dialect_insert(engine):  # noqa: ANN001, ANN202
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert
