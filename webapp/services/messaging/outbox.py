"""The local outbox: messages delivered here when no mail or SMS provider is configured
(and every test-mode message), rendered as the recipient would see them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import OutboxMessage

OUTBOX_CHANNELS = ("email", "sms", "whatsapp")


def list_outbox(
    session: Session,
    org_id: int,
    *,
    channel: str | None = None,
    page: int = 1,
    per_page: int = 25,
    purpose: str | None = None,
    test_mode: bool | None = None,
) -> tuple[list[OutboxMessage], bool]:
    """A page of the workspace's outbox, newest first. Returns (rows, has_more)."""
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 25), 1), 200)
    query = select(OutboxMessage).where(OutboxMessage.org_id == org_id)
    if channel in OUTBOX_CHANNELS:
        query = query.where(OutboxMessage.channel == channel)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    if test_mode is not None:
        query = query.where(OutboxMessage.test_mode.is_(test_mode))
    rows = list(
        session.scalars(
            query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page
