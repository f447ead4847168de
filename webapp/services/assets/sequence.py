"""An approved email-sequence asset as a sequence ready to activate: one email step per
email, each delayed from the one before as the asset's days say. The sequence starts as a
draft (Sequences → activate), so nothing is sent until the owner says so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import Asset, Campaign
from webapp.services.activity import log_activity
from webapp.services.assets.manage import AssetError, current
from webapp.services.messaging import SequenceError, add_step, create_sequence


def to_sequence(session: Session, asset: Asset, *, actor_id: int | None, now: datetime) -> Campaign:
    if asset.type != "email_sequence":
        raise AssetError("only an email sequence becomes a sequence")
    if asset.status != "approved":
        raise AssetError("approve the emails first: only approved assets are used")
    if asset.sequence_id:
        raise AssetError("this email sequence is already a sequence")
    emails = current(asset).get("emails") or []
    try:
        sequence = create_sequence(
            session, asset.org_id, name=asset.name[:120], schedule={}, actor_id=actor_id, now=now
        )
        previous = 0
        for email in emails:
            day = int(email.get("day") or 0)
            add_step(
                session,
                sequence,
                channel="email",
                subject=email["subject"],
                body=email["body"],
                delay_value=max(0, day - previous),
                delay_unit="days",
                actor_id=actor_id,
                now=now,
            )
            previous = day
    except SequenceError as exc:
        raise AssetError(str(exc), exc.field) from None
    asset.sequence_id, asset.updated_at = sequence.id, now
    session.flush()
    log_activity(
        session,
        asset.org_id,
        "asset.sequence_created",
        f"“{asset.name}” is now a draft sequence with {len(emails)} emails, ready to activate.",
        now=now,
        entity=("campaign", sequence.id),
        actor_id=actor_id,
    )
    return sequence
