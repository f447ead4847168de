"""Who a sequence's steps can reach: a contact receives a step when it has the step's
address (email for email, phone for SMS and WhatsApp), has not unsubscribed from
everything and has not opted out of (or bounced on) that channel. A contact enters a
sequence at the first step it can receive and skips the steps it cannot.

Everything here is a condition on `Lead` (for set-based enrolment) or one grouped count,
never a query per contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from webapp.models import Campaign, Lead, Suppression
from webapp.models.sequence import Enrollment, SequenceStep
from webapp.services.messaging.step_jobs import address_column


def can_receive(channel: str) -> ColumnElement:
    """The contacts a step on `channel` can reach (consent counts)."""
    column = address_column(channel)
    return and_(
        Lead.unsubscribed_at.is_(None),
        column.is_not(None),
        column != "",
        ~exists().where(
            Suppression.org_id == Lead.org_id,
            Suppression.channel == channel,
            Suppression.address == column,
        ),
    )


def entry_points(steps: list[SequenceStep]) -> list[tuple[SequenceStep, ColumnElement]]:
    """(step, who enters there): the first step of each channel, and the contacts that can
    receive it but no earlier step. Later steps of a seen channel are nobody's entry."""
    seen: list[str] = []
    out = []
    for step in steps:
        if step.channel in seen:
            continue
        earlier = [can_receive(channel) for channel in seen]
        out.append((step, and_(can_receive(step.channel), *[not_(c) for c in earlier])))
        seen.append(step.channel)
    return out


def reaches_any(steps: list[SequenceStep]) -> ColumnElement:
    return or_(*[can_receive(channel) for channel in {s.channel for s in steps}])


def first_receivable(steps: list[SequenceStep], lead) -> SequenceStep | None:
    """The step a contact (a row with email, phone, unsubscribed_at) enters at."""
    if getattr(lead, "unsubscribed_at", None) is not None:
        return None
    return next((s for s in steps if _has_address(lead, s.channel)), None)


def next_receivable(steps: list[SequenceStep], step: SequenceStep, lead) -> SequenceStep | None:
    """The step after `step` the contact has an address for (its consent is checked again
    just before sending)."""
    return next(
        (s for s in steps if s.position > step.position and _has_address(lead, s.channel)), None
    )


def _has_address(lead, channel: str) -> bool:
    return bool(getattr(lead, "email" if channel == "email" else "phone", None))


def step_reach(session: Session, step: SequenceStep) -> int:
    """How many of the workspace's contacts the step can reach now (one count)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.org_id == step.org_id, can_receive(step.channel))
        )
        or 0
    )


def existing_matching(
    session: Session, campaign: Campaign, steps: list[SequenceStep], *, now: datetime
) -> int:
    """How many contacts already in the workspace (created up to `now`, not enrolled yet)
    the sequence can reach: the ones "also existing contacts" would enrol."""
    if not steps:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(
                Lead.org_id == campaign.org_id,
                Lead.created_at <= now,
                reaches_any(steps),
                ~exists().where(
                    Enrollment.campaign_id == campaign.id,
                    Enrollment.lead_id == Lead.id,
                    Enrollment.test_mode.is_(False),
                ),
            )
        )
        or 0
    )
