"""Suppressing an address, lifting it, and the checks before a send.

An address is kept normalised (a lower-cased email, an E.164 number), once per workspace and
channel: `blocked` is one lookup on that unique index, `blocked_many` one query for a batch.
A contact may get a message on a channel when it has not unsubscribed from everything
(`Lead.unsubscribed_at`, a person's "unsubscribe from everything") and its address for that
channel is not suppressed (`may_send`, the one check every send path makes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.integrations import addresses
from webapp.integrations.resilience import IntegrationError
from webapp.models import BounceEvent, Lead, LeadEvent, User
from webapp.models.suppression import SUPPRESSION_CHANNELS, SUPPRESSION_REASONS, Suppression
from webapp.services.activity import log_activity

REASON_WORDS = {
    "hard_bounce": "the address bounced (it does not exist)",
    "complaint": "the recipient reported a message as spam",
    "unsubscribe": "the contact opted out of this channel",
    "manual": "added to the suppression list by hand",
}
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp"}


class SuppressionError(ValueError):
    """The address or values cannot be suppressed (or lifted) as given; `field` names which."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise(channel: str, address: str | None) -> str:
    """The address as the list keeps it. Raises SuppressionError when it is not one."""
    if channel not in SUPPRESSION_CHANNELS:
        raise SuppressionError(f"Unknown channel {channel!r}.", "channel")
    value = (address or "").strip()
    if not value:
        raise SuppressionError("Enter an address.", "address")
    try:
        if channel == "email":
            return addresses.email_address(value).lower()
        return addresses.phone_number(value)
    except IntegrationError as exc:
        raise SuppressionError(str(exc), "address") from exc


def _key(channel: str, address: str | None) -> str | None:
    """The normalised address, or None when it is not one (then nothing can match)."""
    try:
        return normalise(channel, address)
    except SuppressionError:
        return None


def suppress(
    session: Session,
    org_id: int,
    channel: str,
    address: str,
    *,
    reason: str,
    now: datetime,
    detail: str = "",
    source: str = "",
    actor_id: int | None = None,
) -> Suppression:
    """Put the address on the list (idempotent: an address already there keeps its first
    reason, except that a complaint outranks everything). Logs it. Flushes."""
    if reason not in SUPPRESSION_REASONS:
        raise SuppressionError(f"Unknown reason {reason!r}.", "reason")
    value = normalise(channel, address)
    insert = dialect_insert(session)(Suppression).values(
        org_id=org_id,
        channel=channel,
        address=value,
        reason=reason,
        detail=detail[:2000],
        source=source[:40],
        created_at=now,
        created_by_id=actor_id,
    )
    # RETURNING says whether the row is new on both databases (rowcount is not reliable here).
    added = (
        session.execute(
            insert.on_conflict_do_nothing(
                index_elements=["org_id", "channel", "address"]
            ).returning(Suppression.id)
        ).scalar()
        is not None
    )
    row = _row(session, org_id, channel, value)
    assert row is not None
    if not added and reason == "complaint" and row.reason != "complaint":
        row.reason, row.detail, row.source = reason, detail[:2000], source[:40]
        added = True
    if added:
        _record(session, row, "address.suppressed", actor_id, now)
    session.flush()
    return row


def lift(
    session: Session,
    org_id: int,
    suppression_id: int,
    *,
    actor_id: int | None,
    now: datetime,
    confirmed: bool = False,
) -> Suppression:
    """Take an address off the list (a person's decision). A complaint is lifted only with
    `confirmed` (the recipient told a mail provider our mail is spam). Flushes."""
    row = session.scalar(
        select(Suppression).where(Suppression.id == suppression_id, Suppression.org_id == org_id)
    )
    if row is None:
        raise LookupError(suppression_id)
    if row.reason == "complaint" and not confirmed:
        raise SuppressionError(
            "This address complained about your mail; confirm that they asked to hear "
            "from you again before lifting it.",
            "confirm",
        )
    _record(session, row, "address.unsuppressed", actor_id, now)
    session.delete(row)
    session.flush()
    return row


def _row(session: Session, org_id: int, channel: str, address: str) -> Suppression | None:
    return session.scalar(
        select(Suppression).where(
            Suppression.org_id == org_id,
            Suppression.channel == channel,
            Suppression.address == address,
        )
    )


def _record(
    session: Session, row: Suppression, kind: str, actor_id: int | None, now: datetime
) -> None:
    """The activity row, and a line on the timeline of each contact with this address."""
    lifted = kind == "address.unsuppressed"
    who = session.get(User, actor_id).name if actor_id and session.get(User, actor_id) else None
    what = (
        f"{row.address} ({CHANNEL_WORDS[row.channel]}) taken off the suppression list"
        + (f" by {who}" if who else "")
        if lifted
        else f"{row.address} ({CHANNEL_WORDS[row.channel]}) suppressed: {REASON_WORDS[row.reason]}"
    )
    details = {"channel": row.channel, "reason": row.reason, "source": row.source}
    log_activity(session, row.org_id, kind, what + ".", now=now, actor_id=actor_id, details=details)
    column = Lead.email if row.channel == "email" else Lead.phone
    for lead_id in session.scalars(
        select(Lead.id).where(Lead.org_id == row.org_id, column == row.address)
    ):
        session.add(
            LeadEvent(
                org_id=row.org_id,
                lead_id=lead_id,
                type="unsuppressed" if lifted else "suppressed",
                description=what + (f" — {row.detail[:300]}" if row.detail and not lifted else ""),
                details=details,
                actor_id=actor_id,
                created_at=now,
            )
        )


def blocked(session: Session, org_id: int, channel: str, address: str | None) -> str | None:
    """Why this address must not get a message on `channel` (the reason), or None."""
    value = _key(channel, address)
    if value is None:
        return None
    return session.scalar(
        select(Suppression.reason).where(
            Suppression.org_id == org_id,
            Suppression.channel == channel,
            Suppression.address == value,
        )
    )


def blocked_many(
    session: Session, wanted: Iterable[tuple[int, str, str | None]]
) -> dict[tuple[int, str, str], str]:
    """The suppressed ones among (org_id, channel, address) triples, in one query, keyed by
    (org_id, channel, address as given) with the reason."""
    keys: dict[tuple[int, str, str], tuple[int, str, str]] = {}
    for org_id, channel, address in wanted:
        value = _key(channel, address) if address else None
        if value is not None:
            keys[(org_id, channel, value)] = (org_id, channel, address or "")
    if not keys:
        return {}
    rows = session.execute(
        select(Suppression.org_id, Suppression.channel, Suppression.address, Suppression.reason)
        .where(Suppression.org_id.in_({k[0] for k in keys}))
        .where(tuple_(Suppression.channel, Suppression.address).in_([k[1:] for k in keys]))
    )
    found = {}
    for org_id, channel, address, reason in rows:
        given = keys.get((org_id, channel, address))
        if given is not None:
            found[given] = reason
    return found


def reason_words(channel: str, reason: str) -> str:
    """Why a message was not sent, in words, for the message's status."""
    where = CHANNEL_WORDS.get(channel, channel)
    return f"Not sent: the contact's {where} address is suppressed ({REASON_WORDS[reason]})."


def may_send(
    session: Session, lead: Lead, channel: str, *, confirmation: bool = False
) -> str | None:
    """Why `lead` must not get a message on `channel` now, or None when it may. A form lead
    waiting to confirm its address may get the confirmation mail only (`confirmation`)."""
    if lead.unsubscribed_at is not None:
        return f"Not sent: the contact unsubscribed on {lead.unsubscribed_at:%Y-%m-%d}."
    if channel == "email" and lead.optin_state == "pending" and not confirmation:
        return (
            "Not sent: waiting for confirmation (the contact has not yet clicked the link in "
            "the confirmation email)."
        )
    address = lead.email if channel == "email" else lead.phone
    if not (address or "").strip():
        what = "email address" if channel == "email" else "phone number"
        return f"Not sent: the contact has no {what}."
    reason = blocked(session, lead.org_id, channel, address)
    return reason_words(channel, reason) if reason else None


def suppressions_for_lead(session: Session, lead: Lead) -> list[Suppression]:
    """The list's rows for this contact's email and phone (for its page)."""
    wanted = [("email", _key("email", lead.email))]
    wanted += [(c, _key(c, lead.phone)) for c in ("sms", "whatsapp")]
    wanted = [(c, a) for c, a in wanted if a]
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Suppression)
            .where(Suppression.org_id == lead.org_id)
            .where(tuple_(Suppression.channel, Suppression.address).in_(wanted))
            .order_by(Suppression.channel)
        )
    )


def first_time(
    session: Session, org_id: int, provider: str, event_id: str, outcome: dict, now: datetime
) -> bool:
    """Record a provider's event (or a bounce mail) as handled; False when it already was,
    so a webhook delivered twice or a message read again acts once."""
    insert = dialect_insert(session)(BounceEvent).values(
        org_id=org_id, provider=provider, event_id=event_id[:255], outcome=outcome, created_at=now
    )
    done = insert.on_conflict_do_nothing(index_elements=["org_id", "provider", "event_id"])
    return session.execute(done.returning(BounceEvent.id)).scalar() is not None


def why_blocked(session: Session, items: Iterable[tuple[object, Lead, str]]) -> dict[object, str]:
    """For a batch of (key, contact, channel): the keys that must not be sent, with why in
    words (unsubscribed from everything, or the address suppressed on that channel). One
    query whatever the batch's size; for the batch senders (the dispatcher, the coach)."""
    reasons: dict[object, str] = {}
    wanted: dict[object, tuple[int, str, str | None]] = {}
    for key, lead, channel in items:
        if lead.unsubscribed_at is not None:
            reasons[key] = f"Not sent: the contact unsubscribed on {lead.unsubscribed_at:%Y-%m-%d}."
        else:
            wanted[key] = (lead.org_id, channel, lead.email if channel == "email" else lead.phone)
    found = blocked_many(session, wanted.values())
    for key, (org_id, channel, address) in wanted.items():
        reason = found.get((org_id, channel, address or ""))
        if reason:
            reasons[key] = reason_words(channel, reason)
    return reasons


def not_suppressed(channel: str):
    """A condition on Lead for audience queries (a broadcast's, the coach's): the contact's
    address on `channel` is not on its workspace's suppression list."""
    from sqlalchemy import exists

    column = Lead.email if channel == "email" else Lead.phone
    return ~exists().where(
        Suppression.org_id == Lead.org_id,
        Suppression.channel == channel,
        Suppression.address == column,
    )
