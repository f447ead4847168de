"""Auto-managed campaigns: creating them from the strategy, following a new plan, their
tasks and budgets. What they achieved (results, daily metrics, budget history) is read in
`campaign_results`, re-exported here."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import AutopilotConfig, BudgetChange, Campaign, CampaignTask, Organization
from webapp.services.activity import log_activity
from webapp.services.autopilot.campaign_results import (
    CampaignSummary,
    budget_history,
    daily_metrics,
    list_campaigns,
    local_today,
    month_start,
)

__all__ = [
    "CHANNEL_LABELS",
    "CampaignSummary",
    "allocate_budgets",
    "apply_new_plan",
    "budget_history",
    "channel_label",
    "create_campaigns_from_strategy",
    "daily_metrics",
    "follows_plan",
    "list_campaigns",
    "local_today",
    "month_start",
    "toggle_task",
]

CENT = Decimal("0.01")

CHANNEL_LABELS = {
    "meta_ads": "Meta ads",
    "google_ads": "Google ads",
    "email": "Email",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "seo": "SEO",
    "content": "Content",
    "referral": "Referrals",
    "events": "Events",
}

# What a small business does to get each channel going; the checklist on the campaign page.
CHANNEL_TASKS = {
    "meta_ads": (
        "Install the Meta pixel on your website so leads and sales are counted",
        "Create a lead-form ad with your main message and one clear offer",
        "Set the audience to the people and places chosen in the setup",
        "Upload the Ads Manager results every week (Campaigns → Upload results)",
    ),
    "google_ads": (
        "Set up Google Ads conversion tracking on your contact and checkout pages",
        "Create a search campaign for your ten most important keywords",
        "Write three responsive search ads using your key messages",
        "Add negative keywords so you stop paying for clicks that never buy",
        "Upload the campaign report every week (Campaigns → Upload results)",
    ),
    "email": (
        "Import your existing customers and contacts (Leads → Import)",
        "Write a welcome email for new sign-ups",
        "Add a newsletter sign-up form to your website",
        "Plan one email a month with news or an offer",
    ),
    "sms": (
        "Ask for SMS consent on your forms and at the till",
        "Write a short offer text (under 160 characters) with a clear call to action",
        "Send reminders the day before appointments or collections",
    ),
    "whatsapp": (
        "Connect a WhatsApp Business number",
        "Write a greeting and quick replies for common questions",
        "Add a click-to-chat link to your website and social profiles",
    ),
    "seo": (
        "Claim and complete your Google Business Profile",
        "Write one page per main product or service with the words customers search for",
        "Ask five happy customers for a review this month",
        "Give every page a clear title and description",
    ),
    "content": (
        "Plan four posts for this month",
        "Write a how-to article that answers a question customers often ask",
        "Turn the article into three short social posts",
    ),
    "referral": (
        "Choose a reward for customers who refer a friend",
        "Ask your ten best customers for a referral",
        "Add a “refer a friend” link to your emails and receipts",
    ),
    "events": (
        "Pick a date and place for a local event or workshop",
        "Create the sign-up form for the event",
        "Invite your contacts two weeks ahead and remind them the day before",
    ),
}
GENERIC_TASKS = (
    "Decide what a good result from this channel looks like this month",
    "Prepare the first piece of content or ad for this channel",
    "Record this channel's results every week (Campaigns → Upload results)",
)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel) or channel.replace("_", " ").capitalize()


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def allocate_budgets(monthly_budget: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Split the monthly budget by percentages, in cents, never more than the budget in total.

    Each share is rounded down to the cent and the left-over cents go to the largest
    remainders, so shares summing to 100 use the budget exactly. Percentages summing to
    more than 100 are scaled down; less than 100 leaves the rest unallocated.
    """
    cents = int(_cents(monthly_budget) * 100)
    positive = [max(Fraction(p), Fraction(0)) for p in percents]
    total_pct = sum(positive, Fraction(0))
    if cents <= 0 or total_pct == 0:
        return [Decimal("0.00") for _ in percents]
    if abs(total_pct - 100) <= Fraction(1, 20):  # 3 × 33.33: the plan meant all of it
        total_pct = Fraction(100)
        positive = [p * 100 / sum(positive, Fraction(0)) for p in positive]
    scale = max(total_pct, Fraction(100))
    exact = [cents * p / scale for p in positive]
    floors = [int(e) for e in exact]
    target = int(cents * total_pct / scale)
    order = sorted(range(len(exact)), key=lambda i: (exact[i] - floors[i], -i), reverse=True)
    for i in order[: max(0, target - sum(floors))]:
        floors[i] += 1
    return [(Decimal(f) / 100).quantize(CENT) for f in floors]


def strategy_channels(strategy: dict) -> list[tuple[str, Decimal, str]]:
    """(channel, percent, rationale) of a strategy, one entry per channel, in plan order."""
    merged: dict[str, list] = {}
    for item in (strategy or {}).get("channels") or []:
        channel = str(item.get("channel") or "").strip()
        if not channel:
            continue
        try:
            percent = Decimal(str(item.get("percent") or 0))
        except ArithmeticError:
            percent = Decimal(0)
        entry = merged.setdefault(channel, [Decimal(0), str(item.get("rationale") or "")])
        entry[0] += percent
    return [(channel, pct, why) for channel, (pct, why) in merged.items() if pct > 0]


PLAN_KEY = "plan"  # Campaign.settings: when the plan the campaign follows was activated


def follows_plan(marker: str | None, activated_at: datetime | None) -> bool:
    """Whether a campaign made for the plan activated at `marker` still follows the current one."""
    if not marker or activated_at is None:
        return True
    try:
        return datetime.fromisoformat(marker) == activated_at
    except ValueError:
        return True


def _plan_marker(config: AutopilotConfig) -> str | None:
    return config.activated_at.isoformat() if config.activated_at else None


def _share_text(percent: Decimal, monthly: Decimal) -> str:
    return f"{percent.normalize():f}% of the monthly budget of ${monthly:,.2f}"


def create_campaigns_from_strategy(
    session: Session, config: AutopilotConfig, org: Organization, *, now: datetime
) -> list[Campaign]:
    """One auto-managed campaign per strategy channel with its budget share and its tasks.

    Writes a `campaign.created` activity row and an initial budget-history row for each.
    The initial allocation counts as the budget's last change for the cooldown, so the
    first optimisation judges a full week of results. Raises DomainError without channels.
    """
    channels = strategy_channels(config.strategy)
    if not channels:
        raise DomainError("The strategy has no channels with a budget share; re-run the setup.")
    budgets = allocate_budgets(config.monthly_budget, [pct for _c, pct, _w in channels])
    return [
        _create_campaign(
            session, config, org, position, channel, percent, rationale, budget, now=now
        )
        for position, ((channel, percent, rationale), budget) in enumerate(
            zip(channels, budgets, strict=True)
        )
    ]


def _create_campaign(
    session: Session,
    config: AutopilotConfig,
    org: Organization,
    position: int,
    channel: str,
    percent: Decimal,
    rationale: str,
    budget: Decimal,
    *,
    now: datetime,
) -> Campaign:
    campaign = Campaign(
        org_id=org.id,
        name=f"{channel_label(channel)} — {org.name}"[:120],
        channel=channel,
        kind="auto",
        auto_managed=True,
        status="active",
        monthly_budget=budget,
        budget_changed_at=now,
        settings={
            "percent": str(percent),
            "rationale": rationale,
            "position": position,
            PLAN_KEY: _plan_marker(config),
        },
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    for i, title in enumerate(CHANNEL_TASKS.get(channel, GENERIC_TASKS)):
        session.add(CampaignTask(org_id=org.id, campaign_id=campaign.id, position=i, title=title))
    reason = (
        f"Initial budget: {_share_text(percent, config.monthly_budget)}, as the strategy planned."
    )
    session.add(
        BudgetChange(
            org_id=org.id,
            campaign_id=campaign.id,
            before=Decimal("0.00"),
            after=budget,
            rule="initial",
            reason=reason,
            details={"percent": str(percent)},
            created_at=now,
        )
    )
    log_activity(
        session,
        org,
        "campaign.created",
        f"Created the campaign “{campaign.name}” with a monthly budget of ${budget:,.2f} "
        f"({percent.normalize():f}% of ${config.monthly_budget:,.2f}). {rationale}".strip(),
        now=now,
        entity=("campaign", campaign.id),
        details={"channel": channel, "before": "0.00", "after": str(budget), "reason": reason},
    )
    return campaign


def apply_new_plan(
    session: Session, config: AutopilotConfig, org: Organization, *, now: datetime
) -> dict[str, int]:
    """Bring the auto-managed campaigns in line with a plan that replaced the one they follow.

    Channels still in the plan get the new plan's budget (and are active); new channels
    get a campaign; channels the plan dropped are paused with their budget released, so
    the total stays within the new monthly budget. Every change is a budget-history row
    and an activity row with before, after and the reason; new budgets count as changes
    for the cooldown. Returns counts: created, changed, paused. Raises DomainError
    without channels.
    """
    channels = strategy_channels(config.strategy)
    if not channels:
        raise DomainError("The new strategy has no channels with a budget share; re-run the setup.")
    budgets = allocate_budgets(config.monthly_budget, [pct for _c, pct, _w in channels])
    existing = _managed_by_channel(session, org.id)
    marker, counts = _plan_marker(config), {"created": 0, "changed": 0, "paused": 0}
    for position, ((channel, percent, rationale), budget) in enumerate(
        zip(channels, budgets, strict=True)
    ):
        c = existing.pop(channel, None)
        if c is None:
            _create_campaign(
                session, config, org, position, channel, percent, rationale, budget, now=now
            )
            counts["created"] += 1
            continue
        c.settings = {
            **(c.settings or {}),
            "percent": str(percent),
            "rationale": rationale,
            "position": position,
            PLAN_KEY: marker,
        }
        reason = f"New plan: {_share_text(percent, config.monthly_budget)}."
        if c.status != "active" or c.monthly_budget != budget:
            _set_budget(session, c, budget, "campaign.replanned", reason, now=now, status="active")
            counts["changed"] += 1
    for c in existing.values():
        c.settings = {**(c.settings or {}), PLAN_KEY: marker}
        if c.status != "paused" or c.monthly_budget:
            _set_budget(
                session,
                c,
                Decimal("0.00"),
                "campaign.paused",
                "The new plan no longer uses this channel: the campaign is paused and its budget released.",
                now=now,
                status="paused",
            )
            counts["paused"] += 1
    return counts


def _managed_by_channel(session: Session, org_id: int) -> dict[str, Campaign]:
    """The workspace's auto-managed campaign (active or paused) of each channel, the oldest
    where a channel has several."""
    existing: dict[str, Campaign] = {}
    for c in session.scalars(
        select(Campaign)
        .where(
            Campaign.org_id == org_id,
            Campaign.auto_managed.is_(True),
            Campaign.status.in_(("active", "paused")),
        )
        .order_by(Campaign.id)
    ):
        existing.setdefault(c.channel, c)
    return existing


def _set_budget(
    session: Session,
    c: Campaign,
    budget: Decimal,
    activity: str,
    reason: str,
    *,
    now: datetime,
    status: str,
) -> None:
    before = c.monthly_budget
    c.monthly_budget, c.status, c.budget_changed_at, c.updated_at = budget, status, now, now
    session.add(
        BudgetChange(
            org_id=c.org_id,
            campaign_id=c.id,
            before=before,
            after=budget,
            rule="replan",
            reason=reason,
            details={},
            created_at=now,
        )
    )
    log_activity(
        session,
        c.org_id,
        activity,
        f"“{c.name}”: ${before:,.2f} → ${budget:,.2f}. {reason}",
        now=now,
        entity=("campaign", c.id),
        details={"before": str(before), "after": str(budget), "reason": reason},
    )


def toggle_task(
    session: Session, task: CampaignTask, *, actor_id: int, actor_name: str, now: datetime
) -> CampaignTask:
    """Tick a task off, or back on. Returns the task."""
    task.done_at = None if task.done_at else now
    verb = "ticked off" if task.done_at else "reopened"
    log_activity(
        session,
        task.org_id,
        "campaign.task_done" if task.done_at else "campaign.task_reopened",
        f"{actor_name} {verb} “{task.title}” on “{task.campaign.name}”.",
        now=now,
        entity=("campaign", task.campaign_id),
        actor_id=actor_id,
        details={"task_id": task.id},
    )
    session.flush()
    return task
