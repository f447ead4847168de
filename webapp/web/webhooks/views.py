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
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from webapp import clock
from webapp.extensions import csrf, db
from webapp.integrations.addresses import phone_number
from webapp.integrations.resilience import IntegrationError
from webapp.services.credentials import twilio_workspaces_for_number, workspace_values
from webapp.services.inbound import handle_inbound
from webapp.services.tenancy import storable_id
from webapp.web.after_response import run_after_response

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def signed_url() -> str:
    """The URL Twilio signed: the deployment's public address plus this request's path."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _signed_with(token: str | None) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(token and signature) and RequestValidator(token).validate(signed_url(), request.form, signature)


def _refuse(why: str) -> None:
    log.warning("Twilio webhook refused: %s", why)
    abort(403, "Signature required.")


def _require_twilio_signature(workspace_token: str | None = None) -> None:
    """403 unless the request is signed with the deployment's auth token or, for a number or
    message of a workspace with its own (sub)account, with that account's token."""
    tokens = [t for t in (workspace_token, current_app.config.get("TWILIO_AUTH_TOKEN")) if t]
    if not tokens:
        _refuse("no auth token is configured, so no signature can be checked")
    if not any(_signed_with(t) for t in tokens):
        _refuse(f"bad or missing signature for {request.path}")


def _inbound_workspace(to: str) -> int | None:
    """The workspace whose number was texted, as the signature proves it; None for the
    deployment's shared number. 403 when no token that may sign it did.

    Any owner can type any number into Settings → Integrations, so a workspace gets the
    message only when its own token signed it, or the deployment's token signed it for a
    number that this workspace alone claims and that is not the deployment's own.
    """
    claims = twilio_workspaces_for_number(db.session, to)
    for org_id, values in claims:
        if _signed_with(values.get("auth_token")):
            return org_id
    deployment = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not deployment and not claims:
        _refuse("no auth token is configured, so no signature can be checked")
    if not _signed_with(deployment):
        _refuse(f"bad or missing signature for {request.path}")
    config = current_app.config
    shared = {
        str(n).removeprefix("whatsapp:").strip()
        for n in (config.get("TWILIO_FROM"), config.get("TWILIO_WHATSAPP_FROM"))
        if n
    }
    if len(claims) == 1 and to.removeprefix("whatsapp:").strip() not in shared:
        return claims[0][0]
    return None


def _workspace_token(org_id: int | None) -> str | None:
    values = workspace_values(org_id, "twilio") if org_id else None
    return (values or {}).get("auth_token")


def _twiml(reply: str | None) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), mimetype="text/xml")


@bp.post("/twilio/status/<int:send_id>")
def twilio_status(send_id: int) -> Response:
    from webapp.models.sequence import Send

    known = storable_id(send_id)  # a bigger id overflows the SQLite driver
    _require_twilio_signature(
        _workspace_token(db.session.scalar(select(Send.org_id).where(Send.id == send_id)) if known else None)
    )
    if not known:
        return Response(status=404)
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


@bp.post("/twilio/coach-status/<int:followup_id>")
def twilio_coach_status(followup_id: int) -> Response:
    from webapp.models.coach import CoachFollowup
    from webapp.services.coach import record_message_status

    org_id = db.session.scalar(select(CoachFollowup.org_id).where(CoachFollowup.id == followup_id))
    _require_twilio_signature(_workspace_token(org_id))
    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").strip().lower()
    found = record_message_status(
        db.session, followup_id, request.form.get("MessageSid") or request.form.get("SmsSid"), status,
        request.form.get("ErrorCode") or None,
    )
    if found is None:
        return Response(status=404)
    db.session.commit()
    return Response(status=204)


@bp.post("/twilio/inbound")
def twilio_inbound() -> Response:
    org_id = _inbound_workspace(request.form.get("To", ""))
    sender = request.form.get("From", "")
    channel = "whatsapp" if sender.lower().startswith("whatsapp:") else "sms"
    try:
        phone = phone_number(sender)
    except IntegrationError:
        phone = None
    result = handle_inbound(
        db.session, phone=phone, body=request.form.get("Body", ""), channel=channel,
        message_sid=request.form.get("MessageSid"), now=clock.now(), org_id=org_id,
    )
    db.session.commit()
    if result.coach_replies:
        from webapp.services.coach import send_replies

        replies = result.coach_replies
        run_after_response("coach replies", lambda app: send_replies(app, replies))
    return _twiml(result.reply)
