"""The daily results the learning optimiser reads: every recorded day of each counted
campaign (up to HISTORY_DAYS), for the learning-mode workspaces of a batch, in one query."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CampaignMetric
from webapp.services.autopilot.budget_plan import CampaignState, Workspace
from webapp.services.autopilot.posteriors import Day

HISTORY_DAYS = 365  # older results weigh under 0.1 % (half-life 3 weeks): not worth reading


def attach_history(
    session: Session,
    workspaces: list[Workspace],
    states: dict[int, list[CampaignState]],
    *,
    now: datetime,
) -> None:
    learning = [ws for ws in workspaces if ws.mode == "learning" and states.get(ws.org_id)]
    if not learning:
        return
    by_campaign = {s.id: s for ws in learning for s in states[ws.org_id]}
    m = CampaignMetric
    since = min(ws.today(now) for ws in learning) - timedelta(days=HISTORY_DAYS)
    rows = session.execute(
        select(m.campaign_id, m.day, m.spend, m.clicks, m.conversions, m.leads, m.revenue)
        .where(m.org_id.in_([ws.org_id for ws in learning]), m.day >= since)
        .order_by(m.campaign_id, m.day)
    )
    for cid, day, spend, clicks, conversions, leads, revenue in rows:
        state = by_campaign.get(cid)
        if state is not None:
            # A lead counts as a conversion where the upload gives leads but no conversions.
            state.days.append(
                Day(day, float(spend or 0), int(clicks or 0),
                    int(conversions or 0) or int(leads or 0), float(revenue or 0))
            )  # fmt: skip
