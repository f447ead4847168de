"""What the budget optimiser reads and decides: its thresholds, a workspace, one campaign's
figures, the 7-day window, a decision per campaign and the day's plan, and how amounts and
rates are written in the reasons it gives. The rules themselves are in `optimizer.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from webapp.models import DEFAULT_RULES

CENT = Decimal("0.01")
WINDOW_DAYS = 7
COUNTED_STATUSES = ("active", "paused")  # budgets that count towards the monthly total


@dataclass(frozen=True)
class Rules:
    low_conversion: Fraction
    low_spend_share: Fraction
    high_conversion: Fraction
    high_spend_share: Fraction
    change_pct: Fraction
    max_increase: Decimal
    cooldown_days: int

    @classmethod
    def of(cls, overrides: dict | None) -> Rules:
        """The seed's defaults with the workspace's overrides (AutopilotConfig.rules)."""
        key = tuple(sorted((overrides or {}).items()))
        cached = _RULES_CACHE.get(key)
        if cached is None:
            cached = _RULES_CACHE[key] = cls._build(overrides)
        return cached

    @classmethod
    def _build(cls, overrides: dict | None) -> Rules:
        merged = {**DEFAULT_RULES, **(overrides or {})}

        def frac(name: str) -> Fraction:
            return Fraction(str(merged[name]))  # str: 0.01 is one hundredth, not its float

        return cls(
            low_conversion=frac("low_conversion"),
            low_spend_share=frac("low_spend_share"),
            high_conversion=frac("high_conversion"),
            high_spend_share=frac("high_spend_share"),
            change_pct=frac("change_pct"),
            max_increase=Decimal(str(merged["max_increase"])),
            cooldown_days=int(merged["cooldown_days"]),
        )


_RULES_CACHE: dict[tuple, Rules] = {}  # most workspaces keep the defaults: parse them once


@dataclass(frozen=True)
class Workspace:
    """What the optimiser needs to know of one workspace with an active autopilot."""

    org_id: int
    name: str
    timezone: str
    monthly_budget: Decimal
    rules: Rules
    last_optimized_at: datetime | None = None
    activated_at: datetime | None = None  # when the current plan was activated
    mode: str = "rules"  # learning | rules (a new autopilot config defaults to learning)
    lead_value: Decimal | None = None  # the owner's value of one lead (counts leads)

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def local_date(self, moment: datetime | None) -> date | None:
        return moment.astimezone(ZoneInfo(self.timezone)).date() if moment else None


@dataclass(slots=True)
class CampaignState:
    id: int
    name: str
    channel: str
    status: str
    budget: Decimal
    changed_on: date | None  # local date of the last budget change (creation counts)
    created_on: date | None
    clicks: int = 0
    conversions: int = 0
    spend_7d: Decimal = Decimal("0")
    spend_month: Decimal = Decimal("0")
    plan: str | None = None  # the activation time of the plan the campaign was set up for
    days: list = field(default_factory=list)  # daily results (learning mode only)


@dataclass(frozen=True)
class Window:
    today: date
    start: date  # first day of the 7-day window
    end: date  # last day (yesterday): today's figures are not complete yet
    month_start: date

    @classmethod
    def ending_before(cls, today: date) -> Window:
        return cls(
            today,
            today - timedelta(days=WINDOW_DAYS),
            today - timedelta(days=1),
            today.replace(day=1),
        )

    def describe(self) -> str:
        return f"{short_date(self.start)}–{short_date(self.end)}"


@dataclass(frozen=True)
class Decision:
    campaign_id: int
    campaign_name: str
    channel: str
    action: str  # decrease | increase | hold | skip
    before: Decimal
    after: Decimal
    reason: str
    rule: str | None = None  # low_performance | high_performance
    details: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.after != self.before


@dataclass
class Plan:
    workspace: Workspace
    window: Window
    decisions: list[Decision]
    skip_reason: str | None = None  # set when today's run must not apply anything
    summary: str | None = None  # the learning mode's explanation of the whole move

    @property
    def period(self) -> str:
        return self.window.today.isoformat()

    @property
    def changes(self) -> list[Decision]:
        return [] if self.skip_reason else [d for d in self.decisions if d.changed]

    @property
    def total_before(self) -> Decimal:
        return sum((d.before for d in self.decisions), Decimal("0"))

    @property
    def total_after(self) -> Decimal:
        return sum((d.after for d in self.decisions), Decimal("0"))

    def count(self, action: str) -> int:
        return sum(1 for d in self.decisions if d.action == action)


# --- formatting for the reasons -------------------------------------------------------------


def short_date(d: date) -> str:
    return f"{d.day} {d:%b}"


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def percent(value: Fraction | float) -> str:
    text = f"{float(value) * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def to_cents(value: Fraction | Decimal, rounding: str = ROUND_DOWN) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=rounding)
