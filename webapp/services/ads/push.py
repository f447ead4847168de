"""Pushing budgets to the ad platforms: the `ads.push_budget` kind, one job per linked
campaign and change (the optimiser's moves, a new link, the daily re-spread after each pull).

A job sets the platform's daily budget to what is left of the campaign's monthly budget
spread over the days left (see budgets.py), reads it back and checks it. When the month's
recorded spend has reached the monthly budget it pauses the platform campaign instead
(the month cap). A change the platform refuses — or one it does not keep — is recorded with
its reason, and our monthly budget is set back to what the platform's daily budget amounts
to, so the two never disagree. Failures are the resilience layer's: an open breaker waits
(RetryAt), rate limits and network trouble are retried by the engine (never sooner than
the platform's retry-after), refused credentials fail for good and show on the health page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.currency import from_minor
from webapp.integrations.ads.base import PAUSED, AdsAdapter, Refused
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import AdPlatformLink, BudgetChange, Campaign, Organization
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt, register, submit
from webapp.services.activity import log_activity
from webapp.services.ads.accounts import LABELS, adapter_for, guarded
from webapp.services.ads.budgets import Target, budget_target, implied_monthly

KIND = "ads.push_budget"


def lock_key(org_id: int, provider: str) -> str:
    """One platform call at a time per workspace and platform (pulls and pushes alike)."""
    return f"ads:{org_id}:{provider}"


def local_today(now: datetime, timezone: str):
    return now.astimezone(ZoneInfo(timezone or "UTC")).date()


def queue_budget_pushes(
    session: Session, org_id: int, campaign_ids: list[int], *, now: datetime, reason: str
) -> int:
    """Queue a push for each of these campaigns that is linked. Returns how many."""
    if not campaign_ids:
        return 0
    links = session.scalars(
        select(AdPlatformLink).where(
            AdPlatformLink.org_id == org_id, AdPlatformLink.campaign_id.in_(campaign_ids)
        )
    ).all()
    stamp = now.date().isoformat() if reason == "daily" else now.isoformat()
    for link in links:
        submit(
            session,
            KIND,
            {"campaign_id": link.campaign_id, "reason": reason},
            key=f"{KIND}:{link.campaign_id}:{reason}:{stamp}",
            now=now,
            org_id=org_id,
            lock_key=lock_key(org_id, link.provider),
        )
    return len(links)


@dataclass(frozen=True)
class PushPlan:
    org_id: int
    campaign_id: int
    campaign_name: str
    provider: str
    platform_id: str
    currency: str
    month: str
    paused_month: str | None
    target: Target
    line_paused: bool  # our budget line is paused (its marketing campaign was): pause there too
    platform_status: str | None


def _plan(session: Session, org_id: int, campaign_id: int, now: datetime) -> PushPlan | None:
    row = session.execute(
        select(AdPlatformLink, Campaign, Organization.timezone)
        .join(Campaign, Campaign.id == AdPlatformLink.campaign_id)
        .join(Organization, Organization.id == AdPlatformLink.org_id)
        .where(AdPlatformLink.org_id == org_id, AdPlatformLink.campaign_id == campaign_id)
    ).first()
    if row is None:
        return None
    link, campaign, timezone = row
    today = local_today(now, timezone)
    return PushPlan(
        org_id,
        campaign.id,
        campaign.name,
        link.provider,
        link.platform_campaign_id,
        link.currency,
        today.strftime("%Y-%m"),
        link.paused_month,
        budget_target(session, campaign, link.currency, today),
        campaign.status != "active",
        link.platform_status,
    )


@register(KIND, max_attempts=6, lease_seconds=120)
def push_budget(job, ctx: JobContext) -> Outcome:
    now = ctx.now()
    plan = _plan(ctx.session, job.org_id, int(job.payload["campaign_id"]), now)
    ctx.session.rollback()  # nothing of ours stays open across the platform call
    if plan is None:
        return Done({"skipped": "not linked"})
    adapter = adapter_for(plan.org_id, plan.provider)
    if adapter is None:
        return Done({"skipped": "no credentials"})
    engine = ctx.session.get_bind()
    reason = str(job.payload.get("reason") or "")

    def call(fn):
        return guarded(engine, plan.org_id, plan.provider, fn, clock=ctx.clock)

    try:
        stopped = _pause_if_due(adapter, plan, call, now)
        if stopped is not None:
            return stopped
        wanted = plan.target.daily_minor
        read_back = call(lambda: adapter.set_daily_budget(plan.platform_id, wanted))
    except CircuitOpen as exc:
        return RetryAt(exc.retry_at, str(exc))
    except Refused as exc:
        said, platform = str(exc), _platform_budget(adapter, plan, call)
        return Failed(
            said,
            str(exc.error_class),
            retryable=False,
            apply=lambda s: _record_refusal(s, plan, said, platform, now),
        )
    except IntegrationError as exc:
        said = str(exc)
        return Failed(
            said,
            str(exc.error_class),
            retry_after=exc.retry_after,
            apply=lambda s: _record_error(s, plan, said),
        )
    if read_back != wanted:
        said = (
            f"{LABELS[plan.provider]} kept the daily budget at "
            f"{from_minor(read_back, plan.currency)} {plan.currency} after we set "
            f"{from_minor(wanted, plan.currency)} {plan.currency}"
        )
        return Failed(
            said,
            "CONFIGURATION_ERROR",
            retryable=False,
            apply=lambda s: _record_refusal(s, plan, said, read_back, now),
        )
    return Done(
        {"daily_budget_minor": read_back},
        apply=lambda s: _record_pushed(s, plan, read_back, reason, now),
    )


def _pause_if_due(adapter: AdsAdapter, plan: PushPlan, call, now: datetime) -> Done | None:
    """Pause the platform campaign when our line is paused or the month's cap is reached
    (once); None when the budget is to be set instead."""
    if plan.line_paused:
        if plan.platform_status == PAUSED:
            return Done({"skipped": "already paused"})
        call(lambda: adapter.pause(plan.platform_id))
        return Done({"paused": True}, apply=lambda s: _record_line_paused(s, plan, now))
    if plan.target.cap_reached:
        if plan.paused_month == plan.month:
            return Done({"skipped": "already paused for the month"})
        call(lambda: adapter.pause(plan.platform_id))
        return Done({"paused": True}, apply=lambda s: _record_paused(s, plan, now))
    return None


def _platform_budget(adapter: AdsAdapter, plan: PushPlan, call) -> int | None:
    """What the platform has now (after a refusal); None when it cannot be read."""
    try:
        for campaign in call(adapter.list_campaigns):
            if campaign.id == plan.platform_id:
                return campaign.daily_budget_minor
    except IntegrationError:
        return None
    return None


def _link(session: Session, plan: PushPlan) -> AdPlatformLink | None:
    return session.scalar(
        select(AdPlatformLink).where(
            AdPlatformLink.org_id == plan.org_id, AdPlatformLink.campaign_id == plan.campaign_id
        )
    )


def _record_pushed(
    session: Session, plan: PushPlan, read_back: int, reason: str, now: datetime
) -> None:
    link = _link(session, plan)
    if link is None:
        return
    before = link.daily_budget_minor
    link.daily_budget_minor, link.last_push_at, link.last_error = read_back, now, None
    link.updated_at = now
    if link.paused_month and link.paused_month != plan.month:
        _tell_still_paused(session, plan, link, now)
    if reason == "daily" and before == read_back:
        return  # the daily re-spread changed nothing: no feed entry
    t = plan.target
    log_activity(
        session,
        plan.org_id,
        "ads.budget_pushed",
        f"“{plan.campaign_name}”: {LABELS[plan.provider]} daily budget set to "
        f"{from_minor(read_back, plan.currency)} {plan.currency} (confirmed) — "
        f"{t.remaining} left of {t.monthly} this month over {t.days_left} days.",
        now=now,
        entity=("campaign", plan.campaign_id),
        details={
            "provider": plan.provider,
            "before_minor": before,
            "after_minor": read_back,
            "reason": reason,
            "spent": str(t.spent),
        },
    )


def _tell_still_paused(
    session: Session, plan: PushPlan, link: AdPlatformLink, now: datetime
) -> None:
    """A new month: the budget is set again, but the platform campaign we paused at last
    month's cap stays paused until the owner turns it on (we never start spending by ourselves)."""
    link.paused_month = None
    log_activity(
        session,
        plan.org_id,
        "ads.still_paused",
        f"“{plan.campaign_name}”: a new month, so its {LABELS[plan.provider]} daily budget is set "
        f"again ({from_minor(link.daily_budget_minor, plan.currency)} {plan.currency}). It is still "
        f"paused from last month's cap: turn it on in {LABELS[plan.provider]} to start spending.",
        now=now,
        entity=("campaign", plan.campaign_id),
        details={"provider": plan.provider},
    )


def _record_paused(session: Session, plan: PushPlan, now: datetime) -> None:
    link = _link(session, plan)
    if link is None:
        return
    link.platform_status, link.paused_month = PAUSED, plan.month
    link.last_push_at, link.last_error, link.updated_at = now, None, now
    t = plan.target
    log_activity(
        session,
        plan.org_id,
        "ads.paused_for_cap",
        f"“{plan.campaign_name}” paused on {LABELS[plan.provider]}: this month's spend "
        f"({t.spent}) reached its monthly budget ({t.monthly}), so it stops spending until "
        "the budget allows more. Turn it back on in the ad platform next month, or raise the budget.",
        now=now,
        entity=("campaign", plan.campaign_id),
        details={"provider": plan.provider, "spent": str(t.spent), "budget": str(t.monthly)},
    )


def _record_line_paused(session: Session, plan: PushPlan, now: datetime) -> None:
    link = _link(session, plan)
    if link is None:
        return
    link.platform_status, link.last_push_at, link.last_error, link.updated_at = (
        PAUSED,
        now,
        None,
        now,
    )
    log_activity(
        session, plan.org_id, "ads.paused_with_line",
        f"“{plan.campaign_name}” paused on {LABELS[plan.provider]} because its budget line is "
        f"paused. When the line is active again, turn the ad back on in {LABELS[plan.provider]} "
        "(we never start spending by ourselves).",
        now=now, entity=("campaign", plan.campaign_id), details={"provider": plan.provider},
    )  # fmt: skip


def _record_error(session: Session, plan: PushPlan, error: str) -> None:
    link = _link(session, plan)
    if link is not None:
        link.last_error = f"Budget push failed: {error}"[:2000]


def _record_refusal(
    session: Session, plan: PushPlan, reason: str, platform_minor: int | None, now: datetime
) -> None:
    """The platform said no: record why, and make our budget what the platform has."""
    link = _link(session, plan)
    campaign = session.get(Campaign, plan.campaign_id)
    if link is None or campaign is None:
        return
    link.last_error = f"Budget change refused: {reason}"[:2000]
    if platform_minor is not None:
        link.daily_budget_minor = platform_minor
    link.updated_at = now
    ours = implied_monthly(plan.target, link.daily_budget_minor, plan.currency)
    before = Decimal(campaign.monthly_budget)
    words = (
        f"{LABELS[plan.provider]} refused the new daily budget: {reason}. The platform keeps "
        f"{from_minor(link.daily_budget_minor, plan.currency)} {plan.currency} a day"
    )
    if ours != before:
        campaign.monthly_budget, campaign.budget_changed_at, campaign.updated_at = ours, now, now
        words += f", so this campaign's monthly budget is back to {ours} to match it."
        session.add(
            BudgetChange(
                org_id=plan.org_id,
                campaign_id=campaign.id,
                before=before,
                after=ours,
                rule="platform_refused",
                reason=words,
                details={"provider": plan.provider},
                created_at=now,
            )  # fmt: skip
        )
    else:
        words += "."
    log_activity(
        session,
        plan.org_id,
        "ads.push_refused",
        f"“{campaign.name}”: {words}",
        now=now,
        entity=("campaign", campaign.id),
        details={"provider": plan.provider, "reason": reason, "budget": str(ours)},
    )
