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
    try:
        stripe.Webhook.construct_event(payload, sig_header, secret)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(f"signature check failed: {exc.user_message or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadSignature(f"not a JSON event: {exc}") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignature("not a Stripe event")
    return event
