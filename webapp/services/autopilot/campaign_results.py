"""What the auto-managed campaigns achieved: this month's results per campaign, a
campaign's daily metrics and its budget history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import BudgetChange, Campaign, CampaignMetric, CampaignTask, Organization
from webapp.services import metrics


def local_today(now: datetime, timezone: str) -> date:
    """The workspace's calendar date at `now` (metrics days are workspace-local dates)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def month_start(today: date) -> date:
    return today.replace(day=1)


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    spend: Decimal
    clicks: int
    leads: int
    conversions: int
    revenue: Decimal
    tasks_done: int
    tasks_total: int

    @property
    def spend_share(self) -> float | None:
        budget = self.campaign.monthly_budget
        return float(self.spend / budget) if budget else None

    @property
    def conversion_rate(self) -> float | None:
        return self.conversions / self.clicks if self.clicks else None


def list_campaigns(session: Session, org: Organization, *, now: datetime) -> list[CampaignSummary]:
    """The workspace's auto-managed campaigns with their results this month (workspace zone),
    by the one definition of `webapp.services.metrics`."""
    today = local_today(now, org.timezone)
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.org_id == org.id, Campaign.kind == "auto")
            .order_by(Campaign.id)
        )
    )
    if not campaigns:
        return []
    totals = metrics.by_campaign(metrics.period(session, org, month_start(today), today))
    t = CampaignTask
    tasks = {
        row.campaign_id: (int(row.done or 0), int(row.total))
        for row in session.execute(
            select(t.campaign_id, func.count(t.done_at).label("done"), func.count().label("total"))
            .where(t.org_id == org.id)
            .group_by(t.campaign_id)
        )
    }
    result = []
    for c in campaigns:
        row = totals.get(c.id) or metrics.Result()
        done, total = tasks.get(c.id, (0, 0))
        result.append(
            CampaignSummary(
                campaign=c,
                spend=row.spend,
                clicks=row.clicks,
                leads=row.leads,
                conversions=row.conversions,
                revenue=row.revenue,
                tasks_done=done,
                tasks_total=total,
            )
        )
    return result


def daily_metrics(
    session: Session, campaign: Campaign, *, today: date, days: int = 30
) -> list[CampaignMetric]:
    """The campaign's metrics of the last `days` days up to today, newest first."""
    return list(
        session.scalars(
            select(CampaignMetric)
            .where(
                CampaignMetric.org_id == campaign.org_id,
                CampaignMetric.campaign_id == campaign.id,
                CampaignMetric.day > today - timedelta(days=days),
                CampaignMetric.day <= today,
            )
            .order_by(CampaignMetric.day.desc())
        )
    )


def budget_history(session: Session, campaign: Campaign, *, limit: int = 50) -> list[BudgetChange]:
    """The campaign's budget changes, newest first, each with its reason."""
    return list(
        session.scalars(
            select(BudgetChange)
            .where(BudgetChange.org_id == campaign.org_id, BudgetChange.campaign_id == campaign.id)
            .order_by(BudgetChange.created_at.desc(), BudgetChange.id.desc())
            .limit(limit)
        )
    )
