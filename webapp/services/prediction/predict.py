"""A marketing campaign's prediction: for each planned paid channel, the reach, clicks and
conversions its share of the budget will bring, with an honest confidence label.

The workspace's history is its autopilot budget lines on the channel (campaign_metrics),
one period per line and calendar month: each month is one look at the rates, so a long
history narrows the interval only as far as the months agree with each other."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Campaign, CampaignMetric, MarketingCampaign
from webapp.services.autopilot import channel_label
from webapp.services.prediction.benchmarks import BENCHMARKS
from webapp.services.prediction.model import Forecast, Period, forecast

HISTORY_DAYS = 730  # two years of months is plenty, and keeps old habits from dominating


@dataclass(frozen=True)
class ChannelPrediction:
    channel: str
    label: str
    budget: Decimal
    forecast: Forecast
    confidence: str  # benchmarks | low | medium | high
    explanation: str
    source: str  # the benchmark's source


@dataclass(frozen=True)
class CampaignPrediction:
    channels: list[ChannelPrediction]
    not_predicted: list[str]  # labels of planned channels a budget does not buy reach on
    budget: Decimal
    note: str  # why there is nothing to show, when there is not


def history(session: Session, org_id: int, channel: str, *, today: date) -> list[Period]:
    """The workspace's months on the channel, oldest first: one Period per line and month."""
    m = CampaignMetric
    rows = session.execute(
        select(m.campaign_id, m.day, m.impressions, m.clicks, m.conversions, m.spend)
        .join(Campaign, Campaign.id == m.campaign_id)
        .where(
            m.org_id == org_id,
            Campaign.org_id == org_id,
            Campaign.channel == channel,
            Campaign.kind == "auto",
            m.day > today - timedelta(days=HISTORY_DAYS),
            m.day <= today,
        )
    ).all()
    months: dict[tuple[date, int], list[float]] = {}
    for line, day, imp, clicks, conv, spend in rows:
        acc = months.setdefault((day.replace(day=1), line), [0, 0, 0, 0.0])
        acc[0] += imp or 0
        acc[1] += clicks or 0
        acc[2] += conv or 0
        acc[3] += float(spend or 0)
    return [
        Period(int(i), int(c), int(v), s)
        for (_month, _line), (i, c, v, s) in sorted(months.items())
        if i > 0
    ]


def confidence(periods: int, label: str) -> tuple[str, str]:
    if periods == 0:
        return (
            "benchmarks",
            f"Rests on industry benchmarks: this workspace has no results on {label} yet, "
            "so the range is wide. Upload your results to narrow it.",
        )
    months = f"{periods} month{'s' if periods != 1 else ''}"
    if periods <= 2:
        return "low", f"Low: {months} of your own results, still mostly industry benchmarks."
    if periods <= 5:
        return "medium", f"Medium: {months} of your own results, pooled with the benchmarks."
    return (
        "high",
        f"Good: {months} of your own results; the range is how much your months differ.",
    )


def channel_budgets(campaign: MarketingCampaign) -> dict[str, Decimal]:
    """The campaign's budget split evenly (to the cent) across its planned paid channels."""
    paid = [c for c in (campaign.channels or []) if c in BENCHMARKS]
    if not paid:
        return {}
    share = (Decimal(campaign.budget or 0) / len(paid)).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )
    return dict.fromkeys(paid, share)


def predict_campaign(
    session: Session, campaign: MarketingCampaign, *, today: date
) -> CampaignPrediction:
    budgets = channel_budgets(campaign)
    skipped = [channel_label(c) for c in (campaign.channels or []) if c not in BENCHMARKS]
    note = ""
    if not budgets:
        note = (
            "Choose Meta ads or Google ads among the campaign's channels to see what its "
            "budget will bring; other channels reach your contacts, not people a budget buys."
        )
    elif not campaign.budget:
        note = "Give the campaign a budget to see what it will bring."
    out = []
    for channel, budget in budgets.items() if campaign.budget else ():
        label = channel_label(channel)
        past = history(session, campaign.org_id, channel, today=today)
        rng = random.Random(f"{campaign.id}:{channel}:{budget}")  # the same answer every time
        result = forecast(BENCHMARKS[channel], past, float(budget), rng=rng)
        level, words = confidence(result.periods, label)
        out.append(
            ChannelPrediction(
                channel, label, budget, result, level, words, BENCHMARKS[channel].source
            )
        )
    return CampaignPrediction(out, skipped, Decimal(campaign.budget or 0), note)
