"""What the setup wizard asks before planning: the market, the main goal, the channels by
name, and `PlanInputs`, the answers the planner works from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal

MARKETS = ("b2b", "b2c")
GOALS = ("leads", "sales", "awareness", "bookings")
GOAL_WORDS = {
    "leads": "more enquiries",
    "sales": "more sales",
    "awareness": "more people knowing you",
    "bookings": "more bookings",
}
CHANNEL_NAMES = {
    "email": "Email",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "google_ads": "Google Ads",
    "meta_ads": "Facebook & Instagram ads",
    "seo": "Search (SEO)",
    "content": "Content",
    "referral": "Referrals",
    "events": "Events",
}


@dataclass(frozen=True)
class PlanInputs:
    """What the setup wizard asked: the business, its audience, budget and goals."""

    business: str
    who: str
    where: str
    market: str  # b2b | b2c
    interests: tuple[str, ...]
    monthly_budget: Decimal
    primary_goal: str  # one of GOALS
    monthly_leads: int | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["interests"] = list(self.interests)
        data["monthly_budget"] = str(self.monthly_budget)
        return data

    def key(self) -> str:
        """A fingerprint: the same inputs plan the same strategy, so it need not be asked again."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]
