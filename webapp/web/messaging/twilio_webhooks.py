"""Twilio's webhooks: delivery status of a message we sent, and messages contacts send us.

No session and no CSRF token (Twilio is the caller): each request must carry a valid
`X-Twilio-Signature` computed over our public URL (PUBLIC_URL + path) and the form fields
with the account's auth token. A missing or wrong signature answers 403 and nothing is
read further. The send id in the status URL is covered by the signature, and the callback's
MessageSid must match the send's, so one message's callback cannot touch another send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.services.connections import webhooks
from webapp.services.messaging.inbound import handle_inbound
from webapp.web.after_response import run_after_response

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def signed_url() -> str:
    """The URL Twilio signed: the deployment's public address plus this request's path."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _twilio_request() -> webhooks.TwilioRequest:
    return webhooks.TwilioRequest(
        signed_url(), request.form, request.headers.get("X-Twilio-Signature", "")
    )


def _refuse(why: str) -> NoReturn:
    log.warning("Twilio webhook refused: %s", why)
    abort(403, "Signature required.")


def _require_twilio_signature(workspace_token: str | None = None) -> None:
    """403 unless the request is signed with a token that may sign it."""
    try:
        webhooks.require_twilio_signature(_twilio_request(), current_app.config, workspace_token)
    except webhooks.SignatureRefused as exc:
        _refuse(f"{exc} ({request.path})")


def _require_signed_callback(workspace_of: Callable[[], int | None]) -> None:
    """403 unless a status callback is signed with the deployment's token or with the token
    of the workspace whose message it names; that workspace is looked up only when the
    deployment's token did not sign it (the id is bounded by its route, see web/input.py)."""
    deployment = current_app.config.get("TWILIO_AUTH_TOKEN")
    if deployment and _twilio_request().signed_with(deployment):
        return
    _require_twilio_signature(webhooks.workspace_twilio_token(workspace_of()))


def _inbound_workspace(to: str) -> int | None:
    """The workspace whose number was texted (None: the deployment's); 403 when unsigned."""
    try:
        return webhooks.inbound_workspace(db.session, _twilio_request(), to, current_app.config)
    except webhooks.SignatureRefused as exc:
        _refuse(f"{exc} ({request.path})")


def _twiml(reply: str | None) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), mimetype="text/xml")


@bp.post("/twilio/status/<int:send_id>")
def twilio_status(send_id: int) -> Response:
    from webapp.models.sequence import Send

    _require_signed_callback(
        lambda: db.session.scalar(select(Send.org_id).where(Send.id == send_id))
    )
    from webapp.services.messaging.delivery_reports import record_delivery_status

    status = (
        (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").strip().lower()
    )
    found = record_delivery_status(
        db.session,
        send_id,
        status,
        request.form.get("ErrorCode") or None,
        clock.now(),
        provider_message_id=request.form.get("MessageSid") or request.form.get("SmsSid"),
    )
    if found is None:
        return Response(status=404)
    db.session.commit()
    return Response(status=204)


@bp.post("/twilio/coach-status/<int:followup_id>")
def twilio_coach_status(followup_id: int) -> Response:
    from webapp.models.coach import CoachFollowup
    from webapp.services.coach.inbound import record_message_status

    _require_signed_callback(
        lambda: db.session.scalar(
            select(CoachFollowup.org_id).where(CoachFollowup.id == followup_id)
        )
    )
    status = (
        (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").strip().lower()
    )
    found = record_message_status(
        db.session,
        followup_id,
        request.form.get("MessageSid") or request.form.get("SmsSid"),
        status,
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
    phone = webhooks.sender_phone(sender)
    result = handle_inbound(
        db.session,
        phone=phone,
        body=request.form.get("Body", ""),
        channel=channel,
        message_sid=request.form.get("MessageSid"),
        now=clock.now(),
        org_id=org_id,
    )
    db.session.commit()
    if result.coach_replies:
        from webapp.services.coach.inbound import send_replies

        replies = result.coach_replies
        run_after_response("coach replies", lambda app: send_replies(app, replies))
    return _twiml(result.reply)
