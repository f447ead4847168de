"""Email providers' bounce and complaint webhooks for a workspace: the signature is checked
with the workspace's secrets (Settings → Suppressed addresses → Bounces, provider
"email_hooks") before anything else is read, then each hard bounce or complaint suppresses
the address, once per provider event id (a webhook delivered twice acts once)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from webapp.integrations.email import provider_events as hooks
from webapp.services.connections import (
    CredentialsError,
    credential_rows,
    load_credentials,
    save_credentials,
)
from webapp.services.suppression.store import SuppressionError, first_time, suppress

PROVIDERS = WEBHOOK_PROVIDERS = ("mailgun", "postmark", "sendgrid", "ses")
LABELS = WEBHOOK_LABELS = {"mailgun": "Mailgun", "postmark": "Postmark", "sendgrid": "SendGrid",
          "ses": "Amazon SES (SNS)"}  # fmt: skip


class WebhookRefused(Exception):
    """Not signed with this workspace's secret for that provider (answer 401)."""


def _json(raw: bytes):
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise WebhookRefused("the body is not JSON") from exc


def _verified_events(
    provider: str, secrets: Mapping[str, str], raw: bytes, headers: Mapping[str, str], config
) -> list[hooks.ProviderEvent]:
    """The request's events once its signature is checked; raises BadSignature."""
    if provider == "postmark":  # checked before the body is even parsed
        hooks.verify_postmark(headers.get("Authorization", ""), secrets.get("postmark_username", ""),
                              secrets.get("postmark_password", ""))  # fmt: skip
        return hooks.postmark_events(_json(raw))
    if provider == "sendgrid":
        hooks.verify_sendgrid(
            raw,
            headers.get("X-Twilio-Email-Event-Webhook-Signature", ""),
            headers.get("X-Twilio-Email-Event-Webhook-Timestamp", ""),
            secrets.get("sendgrid_public_key", ""),
        )
        return hooks.sendgrid_events(_json(raw))
    body = _json(raw)
    if not isinstance(body, dict):
        raise hooks.BadSignature("not a signed message")
    if provider == "mailgun":
        hooks.verify_mailgun(body, secrets.get("mailgun_signing_key", ""))
        return hooks.mailgun_events(body)
    pattern = re.compile(config.get("SNS_CERT_HOST_PATTERN") or hooks.SNS_CERT_HOST.pattern)
    cafile = config.get("SNS_CERT_CAFILE") or None
    hooks.verify_sns(body, secrets.get("ses_topic_arn", ""), host_pattern=pattern, cafile=cafile)
    if body.get("Type") == "SubscriptionConfirmation":
        hooks.confirm_sns_subscription(body, host_pattern=pattern, cafile=cafile)
        return []
    return hooks.ses_events(body)


def handle_provider_webhook(
    session: Session,
    org_id: int,
    provider: str,
    *,
    raw_body: bytes,
    headers: Mapping[str, str],
    config: Mapping,
    now: datetime,
) -> dict[str, int]:
    """Check and apply one webhook request. Raises WebhookRefused (nothing read or written)
    when it is not signed with the workspace's secret. Flushes."""
    if provider not in PROVIDERS:
        raise WebhookRefused("unknown provider")
    try:
        secrets = load_credentials(session, org_id, "email_hooks") or {}
        events = _verified_events(provider, secrets, raw_body, headers, config)
    except (hooks.BadSignature, CredentialsError) as exc:
        raise WebhookRefused(str(exc)) from exc
    outcome = {"suppressed": 0, "repeated": 0, "skipped": 0}
    for event in events:
        if not event.event_id or not first_time(session, org_id, provider, event.event_id,
                                                {"kind": event.kind}, now):  # fmt: skip
            outcome["repeated"] += 1
            continue
        try:
            suppress(session, org_id, "email", event.address, reason=event.kind, now=now,
                     detail=event.detail, source=provider)  # fmt: skip
        except SuppressionError:
            outcome["skipped"] += 1  # no usable address in the event
            continue
        outcome["suppressed"] += 1
    return outcome


def webhook_hint(session: Session, org_id: int) -> dict:
    """What may be shown of the saved webhook secrets (secrets masked)."""
    row = credential_rows(session, org_id).get("email_hooks")
    return dict(row.hint) if row is not None else {}


def save_webhook_secrets(
    session: Session, org_id: int, values: dict[str, str], *, actor_id: int | None, now: datetime
) -> None:
    """Save the providers' secrets, encrypted (a blank secret keeps the saved one)."""
    save_credentials(session, org_id, "email_hooks", values, actor_id=actor_id, now=now)
