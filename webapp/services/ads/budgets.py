"""The platform's daily budget from our monthly one, and back.

daily = (monthly budget − month-to-date spend) ÷ days left in the month (today included),
in the account currency's minor units, rounded down. When the month-to-date spend has
reached the monthly budget (the campaign's share of the workspace's cap) there is nothing
left to spend: the campaign is paused on the platform instead.

Platforms overdeliver: Google may spend up to twice a campaign's daily budget on a day, Meta
up to 75 % more. So the daily budget is also capped at what is left ÷ that factor, or on
the month's last days one generous day could pass the monthly budget.

Back (when the platform refuses a change, our budget becomes what the platform has):
monthly = month-to-date spend + platform daily budget × days left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from webapp.core.currency import from_minor, to_minor
from webapp.models import Campaign
from webapp.services.ads.accounts import days_left, month_spend

CENT = Decimal("0.01")
# The most a platform spends in one day, as a multiple of the daily budget (its own docs).
OVERDELIVERY = {"google_ads": Decimal("2"), "meta_ads": Decimal("1.75")}


@dataclass(frozen=True)
class Target:
    monthly: Decimal
    spent: Decimal  # month to date (recorded days)
    days_left: int
    daily_minor: int

    @property
    def cap_reached(self) -> bool:
        return self.spent >= self.monthly

    @property
    def remaining(self) -> Decimal:
        return max(self.monthly - self.spent, Decimal("0"))


def budget_target(session: Session, campaign: Campaign, currency: str, today: date) -> Target:
    spent = month_spend(session, campaign.org_id, campaign.id, today)
    monthly = Decimal(campaign.monthly_budget)
    left = days_left(today)
    remaining = max(monthly - spent, Decimal("0"))
    daily = min(remaining / left, remaining / OVERDELIVERY.get(campaign.channel, Decimal(1)))
    return Target(monthly, spent, left, to_minor(daily, currency))


def implied_monthly(target: Target, platform_daily_minor: int, currency: str) -> Decimal:
    """The monthly budget that the platform's daily budget amounts to this month."""
    daily = from_minor(platform_daily_minor, currency)
    return (target.spent + daily * target.days_left).quantize(CENT, ROUND_HALF_UP)
