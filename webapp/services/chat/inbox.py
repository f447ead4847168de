"""The staff inbox: the chatbot's conversations by state, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Conversation, Lead

STATES = ("open", "escalated", "resolved")


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    name: str
    email: str | None
    phone: str | None


def list_conversations(
    session: Session, org_id: int, *, state: str | None, page: int, per_page: int
) -> tuple[list[InboxRow], bool]:
    """One page of conversations (in `state`, or every chatbot one); (rows, has_more)."""
    query = (
        select(Conversation, Lead)
        .outerjoin(Lead, Lead.id == Conversation.lead_id)
        .where(Conversation.org_id == org_id, Conversation.chat_state.is_not(None))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    if state in STATES:
        query = query.where(Conversation.chat_state == state)
    rows = [
        InboxRow(
            conv,
            lead.display_name if lead else "Website visitor",
            lead.email if lead else None,
            lead.phone if lead else None,
        )
        for conv, lead in session.execute(query).all()
    ]
    return rows[:per_page], len(rows) > per_page


def state_counts(session: Session, org_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Conversation.chat_state, func.count())
        .where(Conversation.org_id == org_id, Conversation.chat_state.is_not(None))
        .group_by(Conversation.chat_state)
    ).all()
    return {state: count for state, count in rows}
