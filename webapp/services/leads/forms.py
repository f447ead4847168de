"""The public lead form: its per-workspace address, spam guards and the safe redirect.

The form's address carries a token derived from the workspace id and the app's secret
(an HMAC by itsdangerous), so nothing is stored and nobody can guess another workspace's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from webapp.models import Lead, LeadEvent
from webapp.services.accounts import bucket, hit
from webapp.services.leads.capture import LeadInvalid, capture_lead

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


@dataclass(frozen=True)
class Received:
    """A kept enquiry, and what it said that could not be read: field → (typed, problem)."""

    lead: Lead
    dropped: dict[str, tuple[str, str]] = field(default_factory=dict)


def receive_form(
    session: Session, org_id: int, data: dict, *, ip: str, now: datetime, source: str = "form"
) -> Received | None:
    """A public form's submission, the one path every public form takes: counted against
    the rate limit (raises RateLimited), dropped when the honeypot is filled (None), else
    captured with the inbox's de-duplication. A field that cannot be read (a phone number
    in no known form) never loses the enquiry: the lead is kept with what is valid, and
    its timeline says what was typed and why it was left out. LeadInvalid only when
    nothing can reach the person. Flushes, never commits: the caller commits also after
    an error, so the submission stays counted. A new contact with an email is asked to
    confirm it when the workspace wants double opt-in."""
    from webapp.services.messaging import form_name, request_confirmation

    check_rate(session, org_id, ip, now=now)
    if is_spam(data):
        return None
    fields_ = lead_fields(data)
    try:
        lead, created = capture_lead(session, org_id, fields_, source=source, now=now)
        if created:
            request_confirmation(session, lead, form=form_name(data, source), now=now)
        return Received(lead)
    except LeadInvalid as exc:
        dropped = {
            name: (str(fields_.get(name) or "")[:200], problem)
            for name, problem in exc.errors.items()
            if name in fields_
        }
        kept = {k: v for k, v in fields_.items() if k not in dropped}
        if not dropped or not (kept.get("email") or kept.get("phone")):
            raise
    lead, created = capture_lead(session, org_id, kept, source=source, now=now)
    _note_dropped(session, lead, dropped, now)
    if created:
        request_confirmation(session, lead, form=form_name(data, source), now=now)
    return Received(lead, dropped)


def _note_dropped(
    session: Session, lead: Lead, dropped: dict[str, tuple[str, str]], now: datetime
) -> None:
    """The lead's timeline keeps what the form sent that could not be stored."""
    parts = [
        f"{name} \u201c{typed}\u201d ({problem})" for name, (typed, problem) in dropped.items()
    ]
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="form_field_dropped",
            description="The website form sent something that could not be read, so it was "
            "left out: " + "; ".join(parts) + ". The enquiry was kept with the rest.",
            details={name: {"typed": typed, "problem": problem} for name, (typed, problem)
                     in dropped.items()},
            created_at=now,
        )
    )  # fmt: skip
    session.flush()


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
