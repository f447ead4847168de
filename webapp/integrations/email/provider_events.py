"""Email providers' bounce and complaint webhooks: each one's signature checked, then its
events read into one shape. The secrets are passed in; nothing here looks anything up.

- Mailgun: HMAC-SHA256 of timestamp + token with the webhook signing key;
- Postmark: HTTP basic auth with the username and password the owner chose;
- SendGrid: the Signed Event Webhook, ECDSA (P-256, SHA-256) over timestamp + raw body,
  checked with the public key SendGrid shows;
- Amazon SES through SNS: the SNS message signature (RSA, SHA1 for SignatureVersion 1,
  SHA256 for 2) over SNS's canonical string, with the certificate at SigningCertURL, which
  must be https on sns.<region>.amazonaws.com (the pattern is a parameter for tests).

`verify_*` raise BadSignature; `*_events` return ProviderEvents (kind "hard_bounce" or
"complaint"; softer outcomes are left out).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

SNS_CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
MAX_AGE_SECONDS = 15 * 60  # a signed request older than this is a replay
NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
SUBSCRIPTION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn",
                     "Type")  # fmt: skip


class BadSignature(Exception):
    """The request is not signed by the provider with this workspace's secret."""


@dataclass(frozen=True)
class ProviderEvent:
    event_id: str
    kind: str  # hard_bounce | complaint
    address: str
    detail: str


def _fresh(timestamp: str, now: float | None) -> None:
    try:
        age = abs((now or time.time()) - float(timestamp))
    except ValueError as exc:
        raise BadSignature("bad timestamp") from exc
    if age > MAX_AGE_SECONDS:
        raise BadSignature("the signature is too old")


# --- Mailgun ---------------------------------------------------------------------------


def verify_mailgun(body: dict, signing_key: str, *, now: float | None = None) -> None:
    signature = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(signature, dict) or not signing_key:
        raise BadSignature("no signature")
    timestamp, token = str(signature.get("timestamp", "")), str(signature.get("token", ""))
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), str(signature.get("signature", ""))):
        raise BadSignature("signature mismatch")
    _fresh(timestamp, now)


def mailgun_events(body: dict) -> list[ProviderEvent]:
    data = body.get("event-data") or {}
    event, address = data.get("event"), (data.get("recipient") or "").strip()
    status = data.get("delivery-status") or {}
    if event == "failed" and data.get("severity") == "permanent":
        detail = f"Mailgun: {status.get('code', '')} {status.get('message') or status.get('description') or ''}"
        return [ProviderEvent(str(data.get("id")), "hard_bounce", address, detail.strip())]
    if event == "complained":
        return [ProviderEvent(str(data.get("id")), "complaint", address, "Mailgun: spam complaint")]
    return []


# --- Postmark --------------------------------------------------------------------------


def verify_postmark(authorization: str, username: str, password: str) -> None:
    if not username or not password or not authorization.startswith("Basic "):
        raise BadSignature("no credentials")
    try:
        given = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadSignature("unreadable credentials") from exc
    if not hmac.compare_digest(given.encode(), f"{username}:{password}".encode()):
        raise BadSignature("wrong credentials")


POSTMARK_HARD = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated"})


def postmark_events(body: dict) -> list[ProviderEvent]:
    record, address = body.get("RecordType"), (body.get("Email") or "").strip()
    event_id = str(body.get("ID") or "")
    if record == "Bounce" and body.get("Type") in POSTMARK_HARD:
        detail = (
            f"Postmark: {body.get('Type')}: {body.get('Details') or body.get('Description') or ''}"
        )
        return [ProviderEvent(event_id, "hard_bounce", address, detail.strip())]
    if record == "SpamComplaint":
        return [ProviderEvent(event_id, "complaint", address, "Postmark: spam complaint")]
    return []


# --- SendGrid --------------------------------------------------------------------------


def verify_sendgrid(
    raw_body: bytes, signature: str, timestamp: str, public_key: str, *, now: float | None = None
) -> None:
    if not signature or not timestamp or not public_key:
        raise BadSignature("no signature")
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise BadSignature("not an ECDSA key")
        key.verify(base64.b64decode(signature), timestamp.encode() + raw_body,
                   ec.ECDSA(hashes.SHA256()))  # fmt: skip
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise BadSignature("signature mismatch") from exc
    _fresh(timestamp, now)


def sendgrid_events(body: list) -> list[ProviderEvent]:
    events = []
    for item in body if isinstance(body, list) else []:
        address, event_id = (item.get("email") or "").strip(), str(item.get("sg_event_id") or "")
        if item.get("event") == "bounce" and item.get("type", "bounce") == "bounce":
            detail = f"SendGrid: {item.get('status', '')} {item.get('reason', '')}".strip()
            events.append(ProviderEvent(event_id, "hard_bounce", address, detail))
        elif item.get("event") == "spamreport":
            events.append(ProviderEvent(event_id, "complaint", address, "SendGrid: spam report"))
    return events


# --- Amazon SES through SNS ------------------------------------------------------------


@lru_cache(maxsize=16)
def _certificate(url: str, cafile: str | None) -> x509.Certificate:
    response = requests.get(url, timeout=10, verify=cafile or True)
    response.raise_for_status()
    return x509.load_pem_x509_certificate(response.content)


def _sns_url_allowed(url: str, host_pattern: re.Pattern) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme == "https" and bool(host_pattern.match(parts.hostname or ""))


def verify_sns(
    body: dict,
    topic_arn: str,
    *,
    host_pattern: re.Pattern = SNS_CERT_HOST,
    cafile: str | None = None,
) -> None:
    """The SNS message is signed by AWS for the workspace's topic. The certificate URL is
    checked before anything is fetched."""
    if not topic_arn or body.get("TopicArn") != topic_arn:
        raise BadSignature("not the workspace's topic")
    url = str(body.get("SigningCertURL") or body.get("SigningCertUrl") or "")
    if not _sns_url_allowed(url, host_pattern):
        raise BadSignature("the certificate is not Amazon SNS's")
    keys = NOTIFICATION_KEYS if body.get("Type") == "Notification" else SUBSCRIPTION_KEYS
    canonical = "".join(f"{k}\n{body[k]}\n" for k in keys if body.get(k) is not None)
    digest = hashes.SHA256() if str(body.get("SignatureVersion")) == "2" else hashes.SHA1()
    try:
        certificate = _certificate(url, cafile)
        certificate.public_key().verify(base64.b64decode(body.get("Signature") or ""),
                                        canonical.encode(), padding.PKCS1v15(), digest)  # fmt: skip
    except (InvalidSignature, ValueError, binascii.Error, requests.RequestException) as exc:
        raise BadSignature(f"signature mismatch ({type(exc).__name__})") from exc


def confirm_sns_subscription(body: dict, *, host_pattern: re.Pattern = SNS_CERT_HOST,
                             cafile: str | None = None) -> None:  # fmt: skip
    """Visit the SubscribeURL of a verified SubscriptionConfirmation (an SNS host only)."""
    url = str(body.get("SubscribeURL") or "")
    if not _sns_url_allowed(url, host_pattern):
        raise BadSignature("the subscription address is not Amazon SNS's")
    requests.get(url, timeout=10, verify=cafile or True).raise_for_status()


def ses_events(body: dict) -> list[ProviderEvent]:
    try:
        message = json.loads(body.get("Message") or "{}")
    except ValueError:
        return []
    kind = message.get("notificationType") or message.get("eventType")
    base = str(body.get("MessageId") or "")
    if kind == "Bounce" and (message.get("bounce") or {}).get("bounceType") == "Permanent":
        return [
            ProviderEvent(f"{base}:{i}", "hard_bounce", (r.get("emailAddress") or "").strip(),
                          f"Amazon SES: {r.get('diagnosticCode') or r.get('status') or 'bounce'}")
            for i, r in enumerate(message["bounce"].get("bouncedRecipients") or [])
        ]  # fmt: skip
    if kind == "Complaint":
        return [
            ProviderEvent(f"{base}:{i}", "complaint", (r.get("emailAddress") or "").strip(),
                          "Amazon SES: complaint")
            for i, r in enumerate((message.get("complaint") or {}).get("complainedRecipients") or [])
        ]  # fmt: skip
    return []
