"""The autopilot of a workspace: what the business told the wizard and the strategy it runs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

# Optimisation thresholds; a workspace may override any of them (the seed's defaults).
DEFAULT_RULES = {
    "low_conversion": 0.01,  # below this conversion rate…
    "low_spend_share": 0.50,  # …and above this share of the budget spent: cut
    "high_conversion": 0.03,  # above this conversion rate…
    "high_spend_share": 0.70,  # …and below this share spent: raise
    "change_pct": 0.20,
    "max_increase": 500,
    "cooldown_days": 7,
}


class AutopilotConfig(db.Model):
    __tablename__ = "autopilot_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | active | paused
    business_description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[dict] = mapped_column(
        JSON, default=dict
    )  # who, where, market (b2b|b2c), interests
    monthly_budget: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    goals: Mapped[dict] = mapped_column(JSON, default=dict)  # primary, monthly_leads, notes
    strategy: Mapped[dict] = mapped_column(JSON, default=dict)  # channels[], messaging{}, planner
    rules: Mapped[dict] = mapped_column(JSON, default=dict)  # overrides of DEFAULT_RULES
    ai_monthly_budget: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("10.00"))
    wizard: Mapped[dict] = mapped_column(JSON, default=dict)  # what was typed, step by step
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_optimized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # learning (weekly Bayesian re-split) | rules (the +/-20 % thresholds)
    optimizer_mode: Mapped[str] = mapped_column(
        String(16), default="learning", server_default="learning"
    )
    lead_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # set: counts leads

    org = relationship("Organization")

    def rule(self, name: str) -> float:
        return float((self.rules or {}).get(name, DEFAULT_RULES[name]))


class AiCall(db.Model):
    """One call to an AI provider, for cost tracking and the monthly AI budget."""

    __tablename__ = "ai_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(40))  # strategy | report_insights | coach_message …
    provider: Mapped[str] = mapped_column(String(20))  # builtin | openai
    model: Mapped[str] = mapped_column(String(80))
    tokens_in: Mapped[int] = mapped_column(default=0)
    tokens_out: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal("0"))
    latency_ms: Mapped[int] = mapped_column(default=0)
    ok: Mapped[bool] = mapped_column(default=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
