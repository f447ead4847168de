"""Twilio's webhooks: delivery status of a message we sent, and messages contacts send us.

No session and no CSRF token (Twilio is the caller): each request must carry a valid
`X-Twilio-Signature` computed over our public URL (PUBLIC_URL + path) and the form fields
with the account's auth token. A missing or wrong signature answers 403 and nothing is
read further. The send id in the status URL is covered by the signature, and the callback's
MessageSid must match the send's, so one message's callback cannot touch another send.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from webapp import clock
from webapp.extensions import csrf, db
from webapp.integrations.addresses import phone_number
from webapp.integrations.resilience import IntegrationError
from webapp.services.inbound import handle_inbound

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def signed_url() -> str:
    """The URL Twilio signed: the deployment's public address plus this request's path."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _require_twilio_signature() -> None:
    # One deployment-wide auth token for now; with per-workspace subaccounts, the token of
    # the account that owns the receiving number signs instead.
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set, so no signature can be checked")
        abort(403, "Signature required.")
    if not signature or not RequestValidator(token).validate(signed_url(), request.form, signature):
        log.warning("Twilio webhook refused: bad or missing signature for %s", request.path)
        abort(403, "Signature required.")


def _twiml(reply: str | None) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), mimetype="text/xml")


@bp.post("/twilio/status/<int:send_id>")
def twilio_status(send_id: int) -> Response:
    _require_twilio_signature()
    from webapp.services.automation import record_delivery_status

    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").strip().lower()
    found = record_delivery_status(
        db.session, send_id, status, request.form.get("ErrorCode") or None, clock.now(),
        provider_message_id=request.form.get("MessageSid") or request.form.get("SmsSid"),
    )
    if found is None:
        return Response(status=404)
    db.session.commit()
    return Response(status=204)


@bp.post("/twilio/inbound")
def twilio_inbound() -> Response:
    _require_twilio_signature()
    sender = request.form.get("From", "")
    channel = "whatsapp" if sender.lower().startswith("whatsapp:") else "sms"
    try:
        phone = phone_number(sender)
    except IntegrationError:
        phone = None
    result = handle_inbound(
        db.session, phone=phone, body=request.form.get("Body", ""), channel=channel,
        message_sid=request.form.get("MessageSid"), now=clock.now(),
    )
    db.session.commit()
    return _twiml(result.reply)
