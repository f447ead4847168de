"""Is a webhook request really from the provider, and for which workspace?

Twilio signs each request with the auth token of the account it belongs to: the
deployment's, or a workspace's own (sub)account. Stripe signs with STRIPE_WEBHOOK_SECRET.
The checks themselves are the adapters' (`integrations.twilio.webhooks`,
`integrations.stripe`); this module picks the tokens that may sign and says which
workspace a request belongs to. The views answer 403 / 400 on `SignatureRefused` /
`BadSignature`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from webapp.integrations import stripe
from webapp.integrations.addresses import phone_number
from webapp.integrations.resilience import IntegrationError
from webapp.integrations.twilio.webhooks import signed_with
from webapp.services.connections.credentials import twilio_workspaces_for_number, workspace_values

BadSignature = stripe.BadSignature

__all__ = [
    "BadSignature",
    "SignatureRefused",
    "TwilioRequest",
    "inbound_workspace",
    "require_twilio_signature",
    "sender_phone",
    "stripe_event",
    "workspace_twilio_token",
]


class SignatureRefused(Exception):
    """The request is not signed by a token that may sign it (the message says why)."""


class TwilioRequest:
    """What a Twilio signature covers: the URL Twilio called, the form fields, the signature."""

    def __init__(self, url: str, form: Mapping, signature: str) -> None:
        self.url, self.form, self.signature = url, form, signature

    def signed_with(self, token: str | None) -> bool:
        return signed_with(token, self.url, self.form, self.signature)


def workspace_twilio_token(org_id: int | None) -> str | None:
    """The auth token of the workspace's own Twilio account, if it has one."""
    values = workspace_values(org_id, "twilio") if org_id else None
    return (values or {}).get("auth_token")


def require_twilio_signature(
    request: TwilioRequest, config: Mapping, workspace_token: str | None = None
) -> None:
    """Raise SignatureRefused unless the request is signed with the deployment's auth token
    or, for a number or message of a workspace with its own (sub)account, with that token."""
    tokens = [t for t in (workspace_token, config.get("TWILIO_AUTH_TOKEN")) if t]
    if not tokens:
        raise SignatureRefused("no auth token is configured, so no signature can be checked")
    if not any(request.signed_with(t) for t in tokens):
        raise SignatureRefused("bad or missing signature")


def inbound_workspace(
    session: Session, request: TwilioRequest, to: str, config: Mapping
) -> int | None:
    """The workspace whose number was texted, as the signature proves it; None for the
    deployment's shared number. Raises SignatureRefused when no token that may sign it did.

    Any owner can type any number into Settings → Integrations, so a workspace gets the
    message only when its own token signed it, or the deployment's token signed it for a
    number that this workspace alone claims and that is not the deployment's own.
    """
    claims = twilio_workspaces_for_number(session, to)
    for org_id, values in claims:
        if request.signed_with(values.get("auth_token")):
            return org_id
    deployment = config.get("TWILIO_AUTH_TOKEN")
    if not deployment and not claims:
        raise SignatureRefused("no auth token is configured, so no signature can be checked")
    if not request.signed_with(deployment):
        raise SignatureRefused("bad or missing signature")
    shared = {
        str(n).removeprefix("whatsapp:").strip()
        for n in (config.get("TWILIO_FROM"), config.get("TWILIO_WHATSAPP_FROM"))
        if n
    }
    if len(claims) == 1 and to.removeprefix("whatsapp:").strip() not in shared:
        return claims[0][0]
    return None


def sender_phone(value: str) -> str | None:
    """The sender of an inbound message in E.164 (a `whatsapp:` prefix dropped), or None."""
    try:
        return phone_number(value)
    except IntegrationError:
        return None


def stripe_event(payload: bytes, sig_header: str, secret: str) -> dict:
    """The Stripe event as a plain dict once its signature checks out; raises BadSignature."""
    return stripe.verify_event(payload, sig_header, secret)
