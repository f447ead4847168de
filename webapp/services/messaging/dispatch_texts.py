"""The dispatcher's rules for texts (SMS and WhatsApp), whatever sent them (a sequence, a
broadcast, a workflow's step: they all go through messaging/dispatch.py):

- quiet hours: a text due between 21:00 and 08:00 in the contact's zone (or outside the
  workspace's narrower texting hours) goes back to the queue until the morning, with the
  reason kept on it (messaging/quiet_hours.py);
- the first text a contact receives on a channel ends with the opt-out footer
  (messaging/text_footer.py);
- WhatsApp only lets a business write freely within 24 hours of the contact's last message
  (the customer-service window); outside it a message must be an approved template, sent
  through Twilio's Content API (ContentSid + ContentVariables) when the workspace set one,
  else it is held with the reason and looked at again every hour.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from webapp.integrations import delivery
from webapp.models import QueuedJob
from webapp.services.messaging.dispatch_batch import Batch
from webapp.services.messaging.quiet_hours import TEXT_CHANNELS, quiet_until
from webapp.services.messaging.step_jobs import ProcessResult
from webapp.services.messaging.templating import RenderedMessage, variables_for
from webapp.services.messaging.text_footer import with_footer

WHATSAPP_SESSION = timedelta(hours=24)
TEMPLATE_RECHECK = timedelta(hours=1)  # a held WhatsApp message is looked at again then
NO_TEMPLATE = (
    "Held: outside WhatsApp's 24-hour window and no approved template is set "
    "(Settings → Integrations → Twilio)."
)


class Texting:
    """Quiet hours, the opt-out footer and WhatsApp's window (mixed into `Dispatcher`)."""

    def quiet(self, job: QueuedJob, send, step, lead, ctx: Batch, result: ProcessResult, *, now):
        """Hold a text due in the contact's night until its texting hours open. True when held.

        Tests (sent to the outbox only) are not held."""
        if step.channel not in TEXT_CHANNELS or job.test_mode:
            return False
        held = quiet_until(lead, ctx.orgs[send.org_id], now)
        if held is None:
            return False
        opens, reason = held
        self.release([job], lambda _i: opens, result, reason=reason)
        line = "Texts due in the contacts' night wait until the morning in their time zone."
        if line not in result.details:
            result.details.append(line)
        return True

    def first_text(
        self, job: QueuedJob, step, lead, ctx: Batch, rendered: RenderedMessage
    ) -> RenderedMessage:
        """The text with the opt-out footer when it is the contact's first on this channel."""
        if step.channel not in TEXT_CHANNELS:
            return rendered
        key = (lead.id, step.channel)
        if key in ctx.texted:
            return rendered
        if not job.test_mode:
            ctx.texted.add(key)  # a second message of the same batch needs no footer either
        return replace(rendered, text=with_footer(rendered.text, lead.phone))

    def outside_session(
        self, sender: delivery.ChannelSender, job: QueuedJob, lead, ctx: Batch
    ) -> bool:
        """True for a real WhatsApp message more than 24 hours after the contact last wrote."""
        if sender.channel != "whatsapp" or sender.provider == "outbox" or job.test_mode:
            return False
        last = ctx.last_inbound.get(lead.id)
        return last is None or self.clock() - last >= WHATSAPP_SESSION

    def as_template(
        self, message: delivery.OutgoingMessage, sender: delivery.ChannelSender, lead, org
    ) -> delivery.OutgoingMessage | None:
        """The message as the workspace's approved template ({{1}} the contact's first
        name, {{2}} the business's name), or None when it has no template."""
        template = sender.whatsapp_template
        if not template:
            return None
        names = variables_for(lead, org)
        return replace(
            message,
            content_sid=template,
            content_variables={
                "1": names.get("firstName") or "there",
                "2": names.get("companyName") or org.name,
            },
        )

    def hold_whatsapp(self, job: QueuedJob, result: ProcessResult) -> None:
        at: datetime = self.clock() + TEMPLATE_RECHECK
        self.release([job], lambda _i: at, result, reason=NO_TEMPLATE)
        if NO_TEMPLATE not in result.details:
            result.details.append(NO_TEMPLATE)
