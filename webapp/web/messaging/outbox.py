"""The outbox: every message delivered locally (no mail or SMS provider configured), newest
first, and each one rendered as the recipient would see it."""

from __future__ import annotations

from flask import current_app, g, request

from webapp.core.extensions import db
from webapp.models import OutboxMessage
from webapp.services.messaging import outbox as outbox_service
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.messaging.sequences import bp
from webapp.web.query import page_arg

PER_PAGE = 25
CHANNELS = [("", "All"), ("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp")]
PURPOSES = {
    "sequence": "Sequence",
    "weekly_report": "Weekly report",
    "coach": "WhatsApp coach",
    "auto_reply": "Automatic reply",
    "alert": "Alert",
    "optin": "Confirmation request",
}


def delivery_note() -> str:
    """Why messages are here: which channels have a real provider and which use the outbox."""
    config = current_app.config
    smtp, twilio = bool(config.get("SMTP_HOST")), bool(config.get("TWILIO_ACCOUNT_SID"))
    if not smtp and not twilio:
        return (
            "No mail server (SMTP) or Twilio account is set up, so every message is delivered here "
            "instead of to the recipient. Nothing leaves this machine."
        )
    if smtp and twilio:
        return "Email goes out through your mail server and texts through Twilio; only test messages are kept here."
    if smtp:
        return "Email goes out through your mail server; SMS and WhatsApp messages are kept here until Twilio is set up."
    return "Texts go out through Twilio; email is kept here until a mail server (SMTP) is set up."


@bp.route("/outbox")
@org_required
def outbox():
    channel = request.args.get("channel", "")
    channel = channel if channel in dict(CHANNELS) else ""
    page = page_arg()
    rows, has_more = outbox_service.list_outbox(
        db.session, g.org.id, channel=channel or None, page=page, per_page=PER_PAGE
    )
    return hx.page_or_partial(
        "automation/outbox.html",
        "automation/_outbox_list.html",
        rows=rows,
        has_more=has_more,
        page_no=page,
        channel=channel,
        channels=CHANNELS,
        channel_label=dict(CHANNELS).get(channel, ""),
        purposes=PURPOSES,
        delivery_note=delivery_note(),
    )


@bp.route("/outbox/<int:message_id>")
@org_required
def outbox_message(message_id: int):
    message = load(OutboxMessage, message_id)
    return hx.page_or_partial(
        "automation/outbox_show.html",
        "automation/outbox_show.html",
        message=message,
        purposes=PURPOSES,
    )
