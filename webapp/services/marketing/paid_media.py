"""The paid-media part of a marketing campaign: the autopilot's per-channel budget
campaigns linked to it (`campaigns.marketing_campaign_id`), with their budgets and what they
achieved between the campaign's dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Campaign, CampaignMetric, MarketingCampaign, Organization
from webapp.services.activity import log_activity
from webapp.services.ads import queue_budget_pushes
from webapp.services.autopilot import channel_label
from webapp.services.marketing.campaigns import CampaignError, local_today


@dataclass(frozen=True)
class PaidLine:
    campaign: Campaign
    label: str
    impressions: int
    clicks: int
    conversions: int
    spend: Decimal
    revenue: Decimal


@dataclass(frozen=True)
class PaidMedia:
    lines: list[PaidLine]
    since: date | None  # the results window, in the workspace's calendar
    until: date
    monthly_budget: Decimal
    spend: Decimal
    clicks: int
    conversions: int


def linkable_lines(session: Session, org_id: int) -> list[Campaign]:
    """The autopilot's budget lines not yet part of any marketing campaign."""
    return list(
        session.scalars(
            select(Campaign)
            .where(
                Campaign.org_id == org_id,
                Campaign.kind == "auto",
                Campaign.marketing_campaign_id.is_(None),
            )
            .order_by(Campaign.id)
        )
    )


def paid_media_of(
    session: Session, org: Organization, campaign: MarketingCampaign, *, now: datetime
) -> PaidMedia:
    """The linked lines with their results from the campaign's start (or first day) to today
    or its end date, whichever is first."""
    lines = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.org_id == org.id, Campaign.marketing_campaign_id == campaign.id)
            .order_by(Campaign.id)
        )
    )
    today = local_today(org, now)
    until = min(today, campaign.ends_on) if campaign.ends_on else today
    since = campaign.starts_on
    m = CampaignMetric
    query = select(
        m.campaign_id,
        func.sum(m.impressions),
        func.sum(m.clicks),
        func.sum(m.conversions),
        func.sum(m.spend),
        func.sum(m.revenue),
    ).where(m.org_id == org.id, m.campaign_id.in_([c.id for c in lines]), m.day <= until)
    if since is not None:
        query = query.where(m.day >= since)
    totals = {row[0]: row[1:] for row in session.execute(query.group_by(m.campaign_id))}
    out = []
    for line in lines:
        imp, clicks, conv, spend, revenue = totals.get(line.id, (0, 0, 0, 0, 0))
        out.append(
            PaidLine(
                line,
                channel_label(line.channel),
                int(imp or 0),
                int(clicks or 0),
                int(conv or 0),
                Decimal(spend or 0),
                Decimal(revenue or 0),
            )
        )
    return PaidMedia(
        lines=out,
        since=since,
        until=until,
        monthly_budget=sum((line.monthly_budget for line in lines), Decimal("0")),
        spend=sum((line.spend for line in out), Decimal("0")),
        clicks=sum(line.clicks for line in out),
        conversions=sum(line.conversions for line in out),
    )


def link_line(
    session: Session,
    org: Organization,
    campaign: MarketingCampaign,
    line_id: int,
    *,
    actor_id: int | None,
    now: datetime,
) -> Campaign:
    """Make the autopilot budget line `line_id` part of `campaign`'s paid media."""
    line = session.scalars(
        select(Campaign).where(
            Campaign.id == line_id, Campaign.org_id == org.id, Campaign.kind == "auto"
        )
    ).one_or_none()
    if line is None:
        raise CampaignError("Choose one of this workspace's autopilot campaigns.", "campaign_id")
    if line.marketing_campaign_id == campaign.id:
        return line
    if line.marketing_campaign_id is not None:
        raise CampaignError(
            f"“{line.name}” is already part of another campaign; unlink it there first.",
            "campaign_id",
        )
    line.marketing_campaign_id = campaign.id
    session.flush()
    _log(session, org, campaign, line, "linked", now, actor_id)
    return line


def unlink_line(
    session: Session,
    org: Organization,
    campaign: MarketingCampaign,
    line_id: int,
    *,
    actor_id: int | None,
    now: datetime,
) -> Campaign | None:
    """Take the line out of the campaign (the line and its budget stay as they are)."""
    line = session.scalars(
        select(Campaign).where(
            Campaign.id == line_id,
            Campaign.org_id == org.id,
            Campaign.marketing_campaign_id == campaign.id,
        )
    ).one_or_none()
    if line is None:
        return None
    line.marketing_campaign_id = None
    session.flush()
    _log(session, org, campaign, line, "unlinked", now, actor_id)
    return line


PAUSED_WITH = "paused_with_campaign"  # a line's settings key: which campaign's pause paused it


def follow_status(
    session: Session,
    org: Organization,
    campaign: MarketingCampaign,
    before: str,
    after: str,
    *,
    actor_id: int | None,
    now: datetime,
) -> list[Campaign]:
    """The linked budget lines follow the campaign: leaving "active" pauses the active ones
    (the autopilot stops giving them money; a linked ad platform campaign is paused by the
    push this queues); resuming turns on again exactly the lines that pause paused. Returns
    the lines changed."""
    if before == "active" and after != "active":
        lines = _lines(session, org.id, campaign.id, "active")
        for line in lines:
            line.status = "paused"
            line.settings = {**(line.settings or {}), PAUSED_WITH: campaign.id}
        verb = f"paused with campaign “{campaign.name}”"
    elif before == "paused" and after == "active":
        lines = [
            line
            for line in _lines(session, org.id, campaign.id, "paused")
            if (line.settings or {}).get(PAUSED_WITH) == campaign.id
        ]
        for line in lines:
            line.status = "active"
            line.settings = {k: v for k, v in (line.settings or {}).items() if k != PAUSED_WITH}
        verb = f"resumed with campaign “{campaign.name}”"
    else:
        return []
    for line in lines:
        line.updated_at = now
        log_activity(
            session, org, f"campaign.{line.status}",
            f"Budget line “{line.name}” {verb}.",
            now=now, entity=("campaign", line.id), actor_id=actor_id,
            details={"marketing_campaign_id": campaign.id, "channel": line.channel},
        )  # fmt: skip
    session.flush()
    queue_budget_pushes(session, org.id, [line.id for line in lines], now=now, reason="status")
    return lines


def _lines(session: Session, org_id: int, campaign_id: int, status: str) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign).where(
                Campaign.org_id == org_id,
                Campaign.marketing_campaign_id == campaign_id,
                Campaign.status == status,
            )
        )
    )


def _log(session, org, campaign, line, verb, now, actor_id) -> None:
    word = "to" if verb == "linked" else "from"
    log_activity(
        session,
        org,
        f"marketing.paid_media_{verb}",
        f"Budget line “{line.name}” {verb} {word} campaign “{campaign.name}”.",
        now=now,
        entity=("marketing_campaign", campaign.id),
        details={"campaign_id": line.id, "channel": line.channel},
        actor_id=actor_id,
    )
