"""A broadcast's figures: recipients, sent, delivered, failed, opened, clicked,
unsubscribed and conversions, counted from its Sends in a few grouped queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from webapp.models import Broadcast, Event, Lead
from webapp.models.sequence import Send

# The product's own events about the mail itself are not conversions.
NOT_CONVERSIONS = ("email.opened", "email.clicked", "email.unsubscribed", "contact.unsubscribed")


def figures(session: Session, broadcast: Broadcast, *, now: datetime) -> dict[str, int]:
    """The broadcast's counts (recipients counts every message queued for it)."""
    sent_states = ("sent", "delivered")
    row = session.execute(
        select(
            func.count(),
            func.count(case((Send.status.in_(sent_states), 1))),
            func.count(case((Send.status == "delivered", 1))),
            func.count(case((Send.status == "failed", 1))),
            func.count(case((Send.status == "cancelled", 1))),
            func.count(case((Send.status == "queued", 1))),
            func.count(Send.first_opened_at),
            func.count(Send.first_clicked_at),
        ).where(Send.campaign_id == broadcast.campaign_id, Send.test_mode.is_(False))
    ).one()
    recipients, sent, delivered, failed, skipped, queued, opened, clicked = row
    unsubscribed = 0
    if broadcast.started_at is not None:
        unsubscribed = (
            session.scalar(
                select(func.count())
                .select_from(Send)
                .join(Lead, Lead.id == Send.lead_id)
                .where(
                    Send.campaign_id == broadcast.campaign_id,
                    Send.status.in_(sent_states),
                    Lead.unsubscribed_at >= broadcast.started_at,
                )
            )
            or 0
        )
    return {
        "recipients": recipients,
        "sent": sent,
        "delivered": delivered,
        "failed": failed,
        "skipped": skipped,
        "queued": queued,
        "opened": opened,
        "clicked": clicked,
        "unsubscribed": unsubscribed,
        "conversions": conversions(session, broadcast),
    }


def conversions(session: Session, broadcast: Broadcast) -> int:
    """Recipients who clicked and then did the conversion event (any event of their own
    when none is named) within `conversion_days` of their first click."""
    window = timedelta(days=broadcast.conversion_days)
    clicked = (
        select(Send.lead_id, Send.first_clicked_at)
        .where(Send.campaign_id == broadcast.campaign_id, Send.first_clicked_at.is_not(None))
        .subquery()
    )
    name = (
        Event.name == broadcast.conversion_event
        if broadcast.conversion_event
        else Event.name.not_in(NOT_CONVERSIONS)
    )
    # The window is checked in Python on one row per clicker: clickers are few next to
    # recipients, and date arithmetic differs between SQLite and PostgreSQL.
    rows = session.execute(
        select(clicked.c.lead_id, clicked.c.first_clicked_at, func.min(Event.occurred_at))
        .join(
            Event,
            and_(
                Event.lead_id == clicked.c.lead_id,
                Event.org_id == broadcast.org_id,
                Event.occurred_at >= clicked.c.first_clicked_at,
                name,
            ),
        )
        .group_by(clicked.c.lead_id, clicked.c.first_clicked_at)
    ).all()
    return sum(1 for _lead, at, first in rows if first is not None and first - at <= window)
