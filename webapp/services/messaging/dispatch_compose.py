"""How the dispatcher turns a queued job into the message it sends: the step rendered for
the contact (an email asset's branded HTML, the first text's opt-out footer, WhatsApp's
template outside its 24-hour window), then the email decorated (tracked links, the
unsubscribe footer and headers in the brand's frame, List-Id) with a Message-ID the same
on every attempt. A part of `Dispatcher` (messaging/dispatch.py)."""

from __future__ import annotations

from dataclasses import replace

from webapp.integrations import delivery
from webapp.integrations.email import message_id_for
from webapp.models import QueuedJob
from webapp.services.marketing import body_html
from webapp.services.messaging.dispatch_batch import Batch
from webapp.services.messaging.list_headers import list_headers
from webapp.services.messaging.step_jobs import ProcessResult
from webapp.services.messaging.templating import render_step, variables_for
from webapp.services.suppression import verp_token


class Composing:
    def compose(self, job: QueuedJob, sender, ctx: Batch, result: ProcessResult):
        """(send, step, contact, rendered, message) of a job, or None when it was held."""
        send = ctx.sends[job.id]
        step, lead = ctx.step_by_id[send.step_id], ctx.leads[send.lead_id]
        org = ctx.orgs[send.org_id]
        rendered = render_step(step, lead, org, variables=variables_for(lead, org))
        if send.campaign_id in ctx.from_asset and step.channel == "email":
            rendered = replace(rendered, html=body_html(rendered.text, button=True))
        outside = self.outside_session(sender, job, lead, ctx)  # WhatsApp's 24 hours
        if not outside:
            rendered = self.first_text(job, step, lead, ctx, rendered)
        message = self.message(job, send, step, lead, org, rendered, sender, ctx)
        if outside and (message := self.as_template(message, sender, lead, org)) is None:
            self.hold_whatsapp(job, result)
            return None
        return send, step, lead, rendered, message

    def message(
        self, job, send, step, lead, org, rendered, sender, ctx
    ) -> delivery.OutgoingMessage:
        to = lead.email if step.channel == "email" else lead.phone
        if step.channel == "email":
            layout = ctx.layouts.get(org.id)  # the brand's frame; its footer has the address
            decorated = self.links.decorate_email(
                send.id,
                rendered.text,
                rendered.html or "",
                org_name=org.name,
                postal_address=layout.postal_address if layout else None,
                layout=layout,
                subject=rendered.subject,
                pixel=org.track_opens,
                tracking_host=org.tracking_domain,
            )
            key = (send.campaign_id, sender.sender_domain)
            if key not in self.list_headers:
                campaign = ctx.campaigns[send.campaign_id]
                self.list_headers[key] = list_headers(
                    campaign.id, campaign.name, campaign.kind, org.id, sender.sender_domain
                )
            return delivery.OutgoingMessage(
                channel="email",
                to=to or "",
                subject=rendered.subject,
                text=decorated.text,
                html=decorated.html,
                headers={**decorated.headers, **self.list_headers[key]},
                message_id=message_id_for(job.id, job.created_at, sender.sender_domain),
                org_id=org.id,
                purpose="sequence",
                test_mode=job.test_mode,
                verp=verp_token(send.id, secret=self.links.secret),
                sender=ctx.senders.get(org.id),
            )
        return delivery.OutgoingMessage(
            channel=step.channel,
            to=to or "",
            text=rendered.text,
            org_id=org.id,
            purpose="sequence",
            status_callback=delivery.status_callback_url(send.id),
            test_mode=job.test_mode,
        )
