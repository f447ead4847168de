"""A dispatcher batch: what it needs loaded at once, and the jobs that must not be sent.

`Batch` loads a claimed batch's sends, contacts, steps, enrolments, campaigns and
workspaces with one query per table. `Screening` (a part of messaging/dispatch.py's
`Dispatcher`) cancels or puts back the jobs whose contact unsubscribed, whose sequence
stopped or paused, or whose message was already sent, holds a form lead's email until it
confirms its address, and passes over a step on a channel the contact has no address for.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Asset, Campaign, Conversation, Lead, Organization, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.connections import email_from
from webapp.services.marketing import layouts_for
from webapp.services.messaging import optin
from webapp.services.messaging.dispatch_sql import skip_step, write_transaction
from webapp.services.messaging.reach import next_receivable
from webapp.services.messaging.step_jobs import ProcessResult
from webapp.services.suppression import why_blocked

CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp"}
PAUSED_RETRY = timedelta(minutes=15)  # a paused sequence's due messages are looked at again then


# The columns the dispatcher reads of the per-message rows, as plain rows (attribute access
# by column name): a batch's hundreds of ORM objects cost more than the queries.
SEND_COLUMNS = (
    Send.id,
    Send.queued_job_id,
    Send.org_id,
    Send.campaign_id,
    Send.enrollment_id,
    Send.lead_id,
    Send.step_id,
    Send.channel,
    Send.status,
    Send.error,
)
LEAD_COLUMNS = (
    Lead.id,
    Lead.org_id,  # the suppression check reads it
    Lead.full_name,
    Lead.email,
    Lead.phone,
    Lead.company,
    Lead.timezone,
    Lead.unsubscribed_at,
    Lead.optin_state,  # a form lead waiting to confirm its address (messaging/optin.py)
    Lead.optin_requested_at,
)
ENROLLMENT_COLUMNS = (Enrollment.id, Enrollment.status, Enrollment.stopped_reason)


class Batch:
    """What a batch needs, loaded with one query per table, detached from any session."""

    def __init__(self, session: Session, jobs: list[QueuedJob], public_url: str = "") -> None:
        ids = [job.id for job in jobs]
        self.sends = {
            s.queued_job_id: s
            for s in session.execute(select(*SEND_COLUMNS).where(Send.queued_job_id.in_(ids)))
        }
        sends = list(self.sends.values())
        self.leads = _rows_by_id(session, LEAD_COLUMNS, {s.lead_id for s in sends})
        self.enrollments = _rows_by_id(
            session, ENROLLMENT_COLUMNS, {s.enrollment_id for s in sends}
        )
        self.campaigns = _by_id(session, Campaign, {s.campaign_id for s in sends})
        self.orgs = _by_id(session, Organization, {c.org_id for c in self.campaigns.values()})
        self.steps: dict[int, list[SequenceStep]] = defaultdict(list)
        if self.campaigns:
            for step in session.scalars(
                select(SequenceStep)
                .where(SequenceStep.campaign_id.in_(list(self.campaigns)))
                .order_by(SequenceStep.campaign_id, SequenceStep.position, SequenceStep.id)
            ):
                self.steps[step.campaign_id].append(step)
        self.step_by_id = {step.id: step for steps in self.steps.values() for step in steps}
        # Each workspace's email frame (compiled once per brand, cached), and the sequences
        # made from an email asset, whose steps end in the asset's call-to-action button.
        self.layouts = layouts_for(session, list(self.orgs.values()), public_url)
        self.from_asset = _asset_sequences(session, list(self.campaigns))
        self.senders = {org_id: email_from(org) for org_id, org in self.orgs.items()}
        # Opted out of the channel, bounced or complained: one query for the batch.
        self.blocked = why_blocked(
            session,
            [(s.id, self.leads[s.lead_id], s.channel) for s in sends if s.lead_id in self.leads],
        )
        self.texted, self.last_inbound = _text_history(session, sends)
        session.expunge_all()

    def next_step(self, step: SequenceStep, lead=None) -> SequenceStep | None:
        """The following step; for a contact, the following one it has an address for
        (an email-only contact skips the SMS and WhatsApp steps)."""
        if lead is not None:
            return next_receivable(self.steps[step.campaign_id], step, lead)
        return next((s for s in self.steps[step.campaign_id] if s.position > step.position), None)


def _asset_sequences(session: Session, campaign_ids: list[int]) -> set[int]:
    if not campaign_ids:
        return set()
    query = select(Asset.sequence_id).where(Asset.sequence_id.in_(campaign_ids))
    return set(session.scalars(query))


def _text_history(session: Session, sends: list) -> tuple[set, dict]:
    """For the batch's texts: the (contact, channel) pairs already texted (by a sequence or
    the coach; their next text needs no opt-out footer), and each contact's last inbound
    WhatsApp message (WhatsApp's 24-hour session window). Two queries, none without texts."""
    leads = {s.lead_id for s in sends if s.channel in ("sms", "whatsapp")}
    if not leads:
        return set(), {}
    texted = set(
        session.execute(
            select(Send.lead_id, Send.channel)
            .where(
                Send.lead_id.in_(list(leads)),
                Send.channel.in_(("sms", "whatsapp")),
                Send.status.in_(("sent", "delivered")),
                Send.test_mode.is_(False),
            )
            .distinct()
        ).all()
    )
    last_inbound: dict[int, datetime] = {}
    for lead_id, channel, inbound, outbound in session.execute(
        select(
            Conversation.lead_id,
            Conversation.channel,
            Conversation.last_inbound_at,
            Conversation.last_outbound_at,
        ).where(
            Conversation.lead_id.in_(list(leads)), Conversation.channel.in_(("sms", "whatsapp"))
        )
    ):
        if outbound is not None:
            texted.add((lead_id, channel))
        if channel == "whatsapp" and inbound is not None:
            last_inbound[lead_id] = max(inbound, last_inbound.get(lead_id, inbound))
    return {(lead, channel) for lead, channel in texted}, last_inbound


def _rows_by_id(session: Session, columns: tuple, ids: set[int]) -> dict:
    if not ids:
        return {}
    key = columns[0]
    return {row.id: row for row in session.execute(select(*columns).where(key.in_(list(ids))))}


def _by_id(session: Session, model: type, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(list(ids))))}


class Screening:
    """The dispatcher's checks before sending (mixed into `Dispatcher`)."""

    def skip(self, job: QueuedJob, ctx: Batch, result: ProcessResult, *, now: datetime) -> bool:
        """Cancel or put back a job that must not be sent now. True when it was handled."""
        send = ctx.sends.get(job.id)
        if send is None:
            self.finish_cancelled(
                job, None, "Its message no longer exists (the step was deleted).", result
            )
            return True
        if self.settled_already(job, send, ctx, result):
            return True
        lead, campaign = ctx.leads[send.lead_id], ctx.campaigns[send.campaign_id]
        if campaign.status != "active" and not job.test_mode:
            self.release([job], lambda _i: now + PAUSED_RETRY, result)
            line = f"“{campaign.name}” is {campaign.status}; its messages wait until it is active."
            if line not in result.details:
                result.details.append(line)
            return True
        step = ctx.step_by_id[send.step_id]
        if step.channel == "email" and optin.waiting(lead):
            self.hold_for_confirmation(job, send, lead, result, now=now)
            return True
        if not ((lead.email if step.channel == "email" else lead.phone) or "").strip():
            self.pass_over(job, send, step, lead, ctx, result)
            return True
        return self.quiet(
            job, send, step, lead, ctx, result, now=now
        )  # messaging/dispatch_texts.py

    def settled_already(self, job: QueuedJob, send, ctx: Batch, result: ProcessResult) -> bool:
        """Finish a job whose message must never go: its rows deleted, the contact
        unsubscribed or blocked on the channel, the sequence stopped, or already sent."""
        lead = ctx.leads.get(send.lead_id)
        enrollment = ctx.enrollments.get(send.enrollment_id)
        campaign = ctx.campaigns.get(send.campaign_id)
        if (
            lead is None
            or enrollment is None
            or campaign is None
            or send.step_id not in ctx.step_by_id
        ):
            self.finish_cancelled(job, send, "The contact, step or sequence was deleted.", result)
            return True
        if lead.unsubscribed_at is not None:
            self.finish_cancelled(
                job,
                send,
                f"The contact unsubscribed on {lead.unsubscribed_at:%Y-%m-%d}.",
                result,
                stop_enrollment=True,
            )
            return True
        if send.id in ctx.blocked:  # unsubscribed from this channel, bounced, complained
            self.finish_cancelled(job, send, ctx.blocked[send.id], result, stop_enrollment=True)
            return True
        if enrollment.status == "stopped":
            self.finish_cancelled(
                job,
                send,
                f"The contact's sequence was stopped: {enrollment.stopped_reason or 'by hand'}",
                result,
            )
            return True
        if send.status in ("sent", "delivered"):
            # Recorded as sent by a worker whose acknowledgement of the job was lost.
            self.finish_completed(job, send, result)
            return True
        if send.status != "queued":
            self.finish_cancelled(job, send, send.error or f"The message is {send.status}.", result)
            return True
        return False

    def hold_for_confirmation(
        self, job: QueuedJob, send, lead, result: ProcessResult, *, now: datetime
    ) -> None:
        """Keep a form lead's email until it confirms its address (confirming releases it at
        once); drop it when the contact never confirmed."""
        if optin.gave_up(lead, now):
            asked = f"{lead.optin_requested_at:%Y-%m-%d}"
            reason = f"Not sent: the contact never confirmed its address (asked on {asked})."
            self.finish_cancelled(job, send, reason, result, stop_enrollment=True)
            return
        self.release([job], lambda _i: now + optin.HOLD_FOR, result, reason=optin.WAITING)
        line = "Held: contacts waiting for confirmation get their email once they confirm."
        if line not in result.details:
            result.details.append(line)

    def pass_over(
        self,
        job: QueuedJob,
        send: Send,
        step: SequenceStep,
        lead: Lead,
        ctx: Batch,
        result: ProcessResult,
    ) -> None:
        """A step on a channel the contact has no address for is skipped; the sequence goes on."""
        at = self.clock()
        campaign = ctx.campaigns[send.campaign_id]
        following = ctx.next_step(step, lead)
        what = "email address" if step.channel == "email" else "phone number"
        with write_transaction(self.conn):
            skip_step(
                self.conn,
                self.step_job(job, send, at),
                f"Skipped: the contact has no {what} for this {CHANNEL_WORDS[step.channel]} step.",
                self.next_step(campaign, following, send, lead, ctx, at) if following else None,
            )
        result.cancelled += 1
        self.per_campaign[(send.org_id, send.campaign_id)].cancelled += 1
