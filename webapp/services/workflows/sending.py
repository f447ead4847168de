"""A workflow's "send" step goes out through the sequences' one send path.

Each workflow has a carrier campaign (kind "workflow", never listed as a sequence) whose
steps hold the workflow's messages (one per distinct message, position 1, so the dispatcher
never chains one to another). A send step queues that step for the contact with
`messaging.queue_step`: the same Send row and `sequence_step` job a sequence message is, so
templating, consent and unsubscribes, send windows, pacing, retries, tracking and the
outbox (test mode) all apply, and the dispatcher sends it like any other.

The Send is unique per (enrolment, step), so one workflow sends a given message to a contact
at most once — a re-entered run says so in its log instead of sending it again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import Campaign, Lead, Workflow
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.messaging import queue_step
from webapp.services.suppression import may_send

WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp"}


def carrier(session: Session, workflow: Workflow, now: datetime) -> Campaign:
    if workflow.carrier_campaign_id:
        campaign = session.get(Campaign, workflow.carrier_campaign_id)
        if campaign is not None:
            return campaign
    campaign = Campaign(
        org_id=workflow.org_id,
        name=f"Workflow: {workflow.name}"[:120],
        channel="email",
        kind="workflow",
        auto_managed=False,
        status="paused" if workflow.status == "paused" else "active",
        settings={"workflow_id": workflow.id, "schedule": None},
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    workflow.carrier_campaign_id = campaign.id
    return campaign


def _message(session: Session, campaign: Campaign, step, now: datetime) -> SequenceStep:
    """The carrier's step with this content (an immutable version's step maps to one)."""
    found = session.scalar(
        select(SequenceStep).where(
            SequenceStep.campaign_id == campaign.id,
            SequenceStep.channel == step.channel,
            SequenceStep.subject == step.subject,
            SequenceStep.body == step.body,
        )
    )
    if found is not None:
        return found
    found = SequenceStep(
        org_id=campaign.org_id,
        campaign_id=campaign.id,
        position=1,
        channel=step.channel,
        subject=step.subject,
        body=step.body,
        delay_value=0,
        delay_unit="minutes",
        created_at=now,
        updated_at=now,
    )
    session.add(found)
    session.flush()
    return found


def _enrollment(session: Session, campaign: Campaign, lead_id: int, test: bool, now) -> int:
    session.execute(
        dialect_insert(session)(Enrollment.__table__)
        .values(
            org_id=campaign.org_id,
            campaign_id=campaign.id,
            lead_id=lead_id,
            status="active",
            test_mode=test,
            enrolled_at=now,
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "lead_id", "test_mode"])
    )
    return session.scalar(
        select(Enrollment.id).where(
            Enrollment.campaign_id == campaign.id,
            Enrollment.lead_id == lead_id,
            Enrollment.test_mode.is_(test),
        )
    )


def queue_send(session: Session, workflow: Workflow, execution, step, now: datetime) -> str:
    """Queue `step`'s message for the execution's contact; returns the log's reason."""
    lead = session.get(Lead, execution.lead_id)
    if lead is None:
        return "The contact no longer exists."
    reason = may_send(session, lead, step.channel)  # everything, the channel, the address
    if reason:
        return reason
    address = lead.email if step.channel == "email" else lead.phone
    campaign = carrier(session, workflow, now)
    message = _message(session, campaign, step, now)
    enrollment_id = _enrollment(session, campaign, lead.id, execution.test_mode, now)
    if session.scalar(
        select(Send.id).where(Send.enrollment_id == enrollment_id, Send.step_id == message.id)
    ):
        return f"Not sent again: this {WORDS[step.channel]} already went to the contact."
    queue_step(
        session,
        campaign,
        message,
        [(enrollment_id, lead, now)],
        test_mode=execution.test_mode,
        now=now,
    )
    return f"{WORDS[step.channel].capitalize() if step.channel == 'email' else WORDS[step.channel]} queued to {address}."
