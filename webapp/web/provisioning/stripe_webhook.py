"""Stripe's webhook: POST /webhooks/stripe.

No session and no CSRF token (Stripe is the caller): the `Stripe-Signature` header is
checked with the `stripe` library against STRIPE_WEBHOOK_SECRET. Unset secret: 404 (the
endpoint does not exist on this installation). Bad signature: 400. Anything we do not
handle: 200, so Stripe stops retrying it.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, request

from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.services.connections.webhooks import BadSignature, stripe_event
from webapp.services.provisioning.billing import apply_checkout_event
from webapp.web.provisioning.setup import start_after_response

log = logging.getLogger(__name__)

bp = Blueprint("billing", __name__)
csrf.exempt(bp)


@bp.post("/webhooks/stripe")
def stripe_webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        abort(404)
    try:
        event = stripe_event(
            request.get_data(), request.headers.get("Stripe-Signature", ""), secret
        )
    except BadSignature as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return jsonify({"error": "invalid signature"}), 400
    outcome = apply_checkout_event(db.session, event, now=clock.now())
    db.session.commit()
    if outcome.status == "activated":
        start_after_response(outcome.org_id)
    else:
        log.info("Stripe event %s %s: %s", event["id"], outcome.status, outcome.reason)
    return jsonify({"received": True, "status": outcome.status, "reason": outcome.reason})
