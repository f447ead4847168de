"""Linking recent leads to the auto-managed campaign of the channel that brought them.

The daily autopilot run calls this for the last 7 days of leads: a lead whose source names
a channel ("meta_ads", "google_ads", "email" …) gets the workspace's campaign of that
channel, once; sources that say how a lead arrived rather than who brought it ("form",
"api", "csv", "manual") are left alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from webapp.models import Lead
from webapp.services.activity import ACTIVITY_INSERT, activity_row
from webapp.services.autopilot import channel_label

# Lead.source -> the channel of the campaign that brought the lead. Sources that say how a
# lead arrived rather than which channel brought it ("form", "api", "csv", "manual") map to
# none: those leads stay unattributed.
LEAD_SOURCE_CHANNELS = {
    "meta_ads": "meta_ads",
    "facebook": "meta_ads",
    "instagram": "meta_ads",
    "meta": "meta_ads",
    "google_ads": "google_ads",
    "google": "google_ads",
    "adwords": "google_ads",
    "email": "email",
    "newsletter": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "seo": "seo",
    "organic": "seo",
    "content": "content",
    "blog": "content",
    "referral": "referral",
    "events": "events",
    "event": "events",
}
LEAD_SYNC_DAYS = 7


def unattributed_leads(
    session: Session, org_ids: list[int], *, since: datetime
) -> dict[int, list[tuple[int, str]]]:
    """Leads since `since` with no campaign whose source names a channel, per workspace.

    One query for all of `org_ids`. Returns {org_id: [(lead_id, channel), …]}.
    """
    found: dict[int, list[tuple[int, str]]] = {}
    if not org_ids:
        return found
    rows = session.execute(
        select(Lead.id, Lead.org_id, Lead.source).where(
            Lead.org_id.in_(org_ids),
            Lead.campaign_id.is_(None),
            Lead.created_at >= since,
            Lead.source.in_(list(LEAD_SOURCE_CHANNELS)),
        )
    )
    for lead_id, org_id, source in rows:
        found.setdefault(org_id, []).append((lead_id, LEAD_SOURCE_CHANNELS[source]))
    return found


_leads = Lead.__table__
# Built once: the daily job runs it for every workspace, so construction cost matters.
_LINK_LEAD = (
    update(_leads)
    .where(
        _leads.c.id == bindparam("lead"),
        _leads.c.org_id == bindparam("org"),
        _leads.c.campaign_id.is_(None),
    )
    .values(campaign_id=bindparam("campaign"), updated_at=bindparam("now"))
)


def attribute_leads(
    session: Session,
    org_id: int,
    leads: list[tuple[int, str]],
    campaign_by_channel: dict[str, int],
    *,
    now: datetime,
    activity: list[dict] | None = None,
) -> int:
    """Link each (lead, channel) to the workspace's campaign of that channel. Returns how many.

    Only leads still without a campaign change, so running it again links nothing twice.
    Explains itself with one `leads.attributed` activity row when it linked any: written
    now, or appended to `activity` for the caller to write with its own rows.
    """
    params = [
        {"lead": lead_id, "org": org_id, "campaign": campaign_by_channel[channel], "now": now}
        for lead_id, channel in leads
        if channel in campaign_by_channel
    ]
    if not params:
        return 0
    conn = session.connection()  # Core on the connection: the daily job calls this per workspace
    linked = conn.execute(_LINK_LEAD, params).rowcount or 0
    if linked:
        per_channel: dict[str, int] = {}
        for _lead, channel in leads:
            if channel in campaign_by_channel:
                per_channel[channel] = per_channel.get(channel, 0) + 1
        parts = ", ".join(f"{n} to {channel_label(ch)}" for ch, n in sorted(per_channel.items()))
        row = activity_row(
            org_id,
            "leads.attributed",
            f"Linked {linked} lead{'s' if linked != 1 else ''} of the last {LEAD_SYNC_DAYS} days to the "
            f"campaigns of their channels" + (f" ({parts})." if linked == len(params) else "."),
            now=now,
            details={"linked": linked, "per_channel": per_channel if linked == len(params) else {}},
        )
        if activity is None:
            conn.execute(ACTIVITY_INSERT, [row])
        else:
            activity.append(row)
    return linked
