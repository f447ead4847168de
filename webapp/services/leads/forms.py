"""The public lead form: its per-workspace address, spam guards and the safe redirect.

The form's address carries a token derived from the workspace id and the app's secret
(an HMAC by itsdangerous), so nothing is stored and nobody can guess another workspace's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from webapp.models import Lead
from webapp.services.accounts import bucket, hit
from webapp.services.leads.capture import capture_lead

SALT = "lead-form"
HONEYPOT = "website"
IP_LIMIT = (10, timedelta(minutes=1))  # per visitor address
ORG_LIMIT = (120, timedelta(minutes=1))  # per workspace, against a spam wave from many addresses
NOT_LEAD_FIELDS = frozenset({HONEYPOT, "next", "csrf_token", "submit"})


class RateLimited(Exception):
    def __init__(self, retry_after: timedelta, message: str) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def form_token(secret: str, org_id: int) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps(org_id)


def org_id_from_token(secret: str, token: str) -> int | None:
    """The workspace id the token was made for, or None when it is not a valid token."""
    try:
        value = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def is_spam(data: dict) -> bool:
    """The hidden `website` field is empty for people and filled in by most bots."""
    return bool(str(data.get(HONEYPOT) or "").strip())


def lead_fields(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in NOT_LEAD_FIELDS}


def check_rate(session: Session, org_id: int, ip: str, *, now: datetime) -> None:
    """Count this submission; raise RateLimited when the visitor or the workspace sent too many."""
    limit, window = IP_LIMIT
    wait = hit(session, bucket("lead-form:ip", ip), limit=limit, window=window, now=now)
    if wait is not None:
        raise RateLimited(
            wait,
            f"Too many submissions from your address. Please wait {_seconds(wait)} and try again.",
        )
    limit, window = ORG_LIMIT
    wait = hit(session, bucket("lead-form:org", org_id), limit=limit, window=window, now=now)
    if wait is not None:
        raise RateLimited(
            wait,
            f"This form is receiving too many submissions right now. Please try again in {_seconds(wait)}.",
        )


def receive_form(
    session: Session, org_id: int, data: dict, *, ip: str, now: datetime, source: str = "form"
) -> Lead | None:
    """A public form's submission, the one path every public form takes: counted against
    the rate limit (raises RateLimited), dropped when the honeypot is filled (None), else
    captured with the inbox's de-duplication (raises LeadInvalid). A new contact with an
    email is asked to confirm it when the workspace wants double opt-in. Flushes, never
    commits: the caller commits also after an error, so the submission stays counted."""
    from webapp.services.messaging import form_name, request_confirmation

    check_rate(session, org_id, ip, now=now)
    if is_spam(data):
        return None
    lead, created = capture_lead(session, org_id, lead_fields(data), source=source, now=now)
    if created:
        request_confirmation(session, lead, form=form_name(data, source), now=now)
    return lead


def _seconds(delta: timedelta) -> str:
    seconds = max(1, int(delta.total_seconds() + 0.999))
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def safe_next(next_url: str | None, *, origin: str | None, referrer: str | None) -> str | None:
    """`next` when following it cannot send the visitor somewhere unexpected, else None.

    Allowed: a path on this site ("/thanks"), or an http(s) address on the same origin as
    the page that posted the form (its Origin header, else its Referer).
    """
    if not next_url or len(next_url) > 2000 or any(c in next_url for c in "\r\n\t\\"):
        return None
    if next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    target = urlsplit(next_url)
    if target.scheme not in ("http", "https") or not target.netloc or "@" in target.netloc:
        return None
    poster = origin if origin and origin != "null" else referrer
    if not poster:
        return None
    source = urlsplit(poster)
    same = (source.scheme, source.netloc.lower()) == (target.scheme, target.netloc.lower())
    return next_url if same else None
