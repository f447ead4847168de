"""Stripe: verifying the webhooks Stripe sends us (with the `stripe` library).

Only verification lives here; what an event means for a workspace is the billing
service's business. No API key is needed: the signing secret (STRIPE_WEBHOOK_SECRET)
is all a webhook check uses.
"""

from __future__ import annotations

import json

import stripe


class BadSignature(ValueError):
    """The payload is not a Stripe event signed with our secret (or is too old, or not JSON)."""


def verify_event(payload: bytes, sig_header: str, secret: str) -> dict:
    """The event as a plain dict, once its `Stripe-Signature` checks out.

    `stripe.Webhook.construct_event` checks the HMAC-SHA256 signature and that the
    timestamp is within 5 minutes (replays of old captures are refused). Raises BadSignature.
    """
    if not sig_header:
        raise BadSignature("missing Stripe-Signature header")
    if not sig_header.isascii():
        # hmac.compare_digest raises TypeError on non-ASCII text inside the stripe library.
        raise BadSignature("Stripe-Signature header is not ASCII")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadSignature(f"not a JSON event: {exc}") from exc
    try:
        # Only the signature check of `construct_event`: its Event construction crashes on
        # signed JSON that is not an object, and we want a plain dict anyway.
        stripe.WebhookSignature.verify_header(
            text, sig_header, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(f"signature check failed: {exc.user_message or exc}") from exc
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise BadSignature(f"not a JSON event: {exc}") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignature("not a Stripe event")
    return event
