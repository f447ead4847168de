"""The daily results the learning optimiser reads: every recorded day of each counted
campaign (up to HISTORY_DAYS), for the learning-mode workspaces of a batch, by the one
definition of `webapp.services.metrics` (leads include the inbox's linked leads)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webapp.services import metrics
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
    zones = {ws.org_id: ws.timezone for ws in learning}
    since = min(ws.today(now) for ws in learning) - timedelta(days=HISTORY_DAYS)
    until = max(ws.today(now) for ws in learning)
    days = metrics.campaign_days(session, zones, since, until)
    for (cid, day), r in sorted(days.items()):
        state = by_campaign.get(cid)
        if state is not None:
            # A lead counts as a conversion where the results give leads but no conversions.
            state.days.append(
                Day(day, float(r.spend), r.clicks, r.conversions or r.leads, float(r.revenue))
            )
