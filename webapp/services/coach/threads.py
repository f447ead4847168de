"""The coach's conversations for the pages: the list, one thread, what is next, and
"Send follow-up now". Reads are scoped by workspace; `send_now` flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.models import CoachFollowup, Conversation, ConversationMessage, Lead
from webapp.models.coach import open_key
from webapp.services.activity import log_activity
from webapp.services.coach import work
from webapp.services.coach.audience import OPEN, open_followup


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    contact: str
    next_due: datetime | None


def list_conversations(
    session: Session, org_id: int, *, page: int, per_page: int
) -> tuple[list[ConversationRow], bool]:
    """One page of the workspace's conversations, latest message first; (rows, has_more)."""
    next_due = (
        select(func.min(CoachFollowup.due_at))
        .where(CoachFollowup.conversation_id == Conversation.id, CoachFollowup.status.in_(OPEN))
        .correlate(Conversation)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Conversation, Lead.full_name, Lead.email, Lead.phone, next_due)
        .join(Lead, Lead.id == Conversation.lead_id)
        .where(Conversation.org_id == org_id, Conversation.channel == "whatsapp")
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    result = [
        ConversationRow(conv, name or email or phone or f"Contact {conv.lead_id}", due)
        for conv, name, email, phone, due in rows[:per_page]
    ]
    return result, len(rows) > per_page


def conversation_messages(
    session: Session, conversation: Conversation, *, limit: int = 200
) -> list[ConversationMessage]:
    """The conversation's last `limit` messages, oldest first."""
    rows = session.scalars(
        select(ConversationMessage)
        .where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.org_id == conversation.org_id,
        )
        .order_by(ConversationMessage.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def next_followup(session: Session, conversation: Conversation) -> CoachFollowup | None:
    """The conversation's next open follow-up (or reply), soonest first."""
    return session.scalars(
        select(CoachFollowup)
        .where(
            CoachFollowup.conversation_id == conversation.id,
            CoachFollowup.org_id == conversation.org_id,
            CoachFollowup.status.in_(OPEN),
        )
        .order_by(CoachFollowup.due_at, CoachFollowup.id)
        .limit(1)
    ).first()


def last_problem(session: Session, conversation: Conversation) -> CoachFollowup | None:
    """The conversation's most recent follow-up that failed or was skipped, if it is the latest."""
    latest = session.scalars(
        select(CoachFollowup)
        .where(
            CoachFollowup.conversation_id == conversation.id,
            CoachFollowup.org_id == conversation.org_id,
            CoachFollowup.status.not_in(OPEN),
        )
        .order_by(CoachFollowup.updated_at.desc(), CoachFollowup.id.desc())
        .limit(1)
    ).first()
    return latest if latest is not None and latest.status in ("failed", "skipped") else None


def send_now(
    session: Session, conversation: Conversation, *, actor_id: int | None, now: datetime
) -> int | None:
    """Make the conversation's next follow-up due now ("Send follow-up now"); creates one
    when there is none. Returns its id, or None when the contact cannot be written to."""
    lead = session.get(Lead, conversation.lead_id)
    if lead is None or lead.unsubscribed_at is not None or not lead.phone:
        return None
    open_id = session.scalar(
        select(CoachFollowup.id).where(
            CoachFollowup.open_key == open_key("followup", lead.id),
            CoachFollowup.status == "pending",
        )
    )
    if open_id is not None and work.is_running(session, "followup", open_id):
        return None  # being sent right now
    if open_id is not None:
        session.execute(
            update(CoachFollowup)
            .where(CoachFollowup.id == open_id)
            .values(due_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        work.move(session, "followup", [open_id], due_at=now, now=now)
    else:
        open_id = open_followup(
            session, conversation.org_id, lead.id, conversation.id, "followup", due_at=now, now=now
        )
        if open_id is None:
            return None  # being processed right now
    log_activity(
        session,
        conversation.org_id,
        "coach.send_now",
        f"Follow-up to {lead.display_name} requested now.",
        now=now,
        actor_id=actor_id,
        entity=("conversation", conversation.id),
    )
    return open_id
