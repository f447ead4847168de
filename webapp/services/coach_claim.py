"""Claiming the coach's due follow-ups: the first half of coach_process's worker.

`claim` is one write transaction, committed at once: a compare-and-set UPDATE moves due
follow-ups from pending to processing under this worker's lease (PostgreSQL skips rows
another worker has locked), then the same worker leases their conversations; a follow-up
whose conversation another worker holds goes straight back to pending. So one
conversation is written to by one worker at a time. `keep_lease` extends the leases of
what is left of a batch while it is being sent.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.orm import Session

from webapp.db_setup import begin_write
from webapp.models import CoachFollowup, CoachSettings, Conversation
from webapp.services.coach_outcomes import Item, RunState


class Claims(RunState):
    """Taking and keeping leases; mixed into coach_process._Run."""

    lease: timedelta
    claimed_at: float

    def claim(self, size: int, *, org_id: int | None, only: list[int] | None) -> list[Item]:
        current = self.clock()
        until = current + self.lease
        postgres = self.engine.dialect.name == "postgresql"
        f, c = CoachFollowup, Conversation
        claimable = or_(
            and_(f.status == "pending", f.due_at <= self.now),
            and_(f.status == "processing", f.lease_until < current),
        )
        free = or_(c.lease_until.is_(None), c.lease_until < current, c.lease_owner == self.owner)
        switched_on = exists().where(
            CoachSettings.org_id == f.org_id,
            CoachSettings.enabled.is_(True),
            or_(f.kind == "followup", CoachSettings.auto_reply.is_(True)),
        )
        conversation_free = exists().where(c.id == f.conversation_id, free)
        candidates = select(f.id).where(claimable, switched_on, conversation_free)
        if org_id is not None:
            candidates = candidates.where(f.org_id == org_id)
        if only is not None:
            candidates = candidates.where(f.id.in_(only))
        candidates = candidates.order_by(f.due_at, f.id).limit(size)
        if postgres:
            candidates = candidates.with_for_update(skip_locked=True, of=f)
        with Session(self.engine) as session:
            begin_write(session)
            # The ids first, then the UPDATE (why: webapp/queue.py `claim`). Here the one-
            # statement form leased the whole backlog to the first worker on PostgreSQL.
            picked = session.scalars(candidates).all()
            if not picked:
                session.commit()
                return []
            rows = session.execute(
                update(f)
                .where(f.id.in_(picked), claimable)
                .values(
                    status="processing",
                    lease_owner=self.owner,
                    lease_until=until,
                    updated_at=current,
                    attempts=f.attempts + case((f.status == "processing", 1), else_=0),
                )
                .returning(f.id, f.org_id, f.lead_id, f.conversation_id, f.kind, f.attempts)
                .execution_options(synchronize_session=False)
            ).all()
            if not rows:
                session.commit()
                return []
            conv_ids = sorted({row.conversation_id for row in rows})
            target = and_(c.id.in_(conv_ids), free)
            if postgres:
                target = and_(
                    c.id.in_(
                        select(c.id)
                        .where(target)
                        .order_by(c.id)
                        .with_for_update(skip_locked=True)
                        .scalar_subquery()
                    ),
                    free,
                )
            got = set(
                session.scalars(
                    update(c)
                    .where(target)
                    .values(lease_owner=self.owner, lease_until=until)
                    .returning(c.id)
                    .execution_options(synchronize_session=False)
                ).all()
            )
            busy = [row.id for row in rows if row.conversation_id not in got]
            if busy:  # another worker is writing to these conversations: leave them for later
                session.execute(
                    update(f)
                    .where(f.id.in_(busy), f.lease_owner == self.owner)
                    .values(status="pending", lease_owner=None, lease_until=None)
                    .execution_options(synchronize_session=False)
                )
                self.result.deferred += len(busy)
            session.commit()
        self.claimed_at = time.monotonic()
        items = [
            Item(r.id, r.org_id, r.lead_id, r.conversation_id, r.kind, r.attempts)
            for r in rows
            if r.id not in busy
        ]
        return sorted(items, key=lambda i: (i.conversation_id, i.kind != "reply", i.id))

    def keep_lease(self, items: list[Item]) -> None:
        """Extend the leases of what is left of the batch once half the lease has passed."""
        if time.monotonic() - self.claimed_at < self.lease.total_seconds() / 2 or not items:
            return
        until = self.clock() + self.lease
        with self.engine.begin() as conn:
            conn.execute(
                update(CoachFollowup)
                .where(
                    CoachFollowup.id.in_([i.id for i in items]),
                    CoachFollowup.lease_owner == self.owner,
                )
                .values(lease_until=until)
            )
            conn.execute(
                update(Conversation)
                .where(
                    Conversation.id.in_({i.conversation_id for i in items}),
                    Conversation.lease_owner == self.owner,
                )
                .values(lease_until=until)
            )
        self.claimed_at = time.monotonic()
