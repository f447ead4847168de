"""Pulling results from the ad platforms: the `ads.pull` kind, one job per workspace and
platform a day.

Each pull asks for yesterday and the LOOKBACK_DAYS before it (conversions are reported late:
a day's figures keep changing for about a week) and writes them, per linked campaign and
day, into the same results table the CSV and API uploads write (`campaign_metrics`, through
the reporting area's writer), marked with the platform as their source. A later pull of the
same day overwrites the earlier one: corrections win. Then each linked campaign's budget
push is queued (the daily re-spread, and the month cap check on the fresh spend).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.integrations.ads.base import DailyResult
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import AdPlatformLink, Organization
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt, register, submit
from webapp.services.activity import log_activity
from webapp.services.ads.accounts import LABELS, adapter_for, connected, guarded
from webapp.services.ads.push import local_today, lock_key, queue_budget_pushes
from webapp.services.reporting import MetricRow, save_rows

KIND = "ads.pull"
LOOKBACK_DAYS = 7


def queue_pulls(session: Session, *, now: datetime, org_id: int | None = None) -> int:
    """Queue today's pull for every workspace and platform with a linked campaign and
    saved credentials (one workspace's when `org_id`). Idempotent per local day."""
    query = (
        select(AdPlatformLink.org_id, AdPlatformLink.provider, Organization.timezone)
        .join(Organization, Organization.id == AdPlatformLink.org_id)
        .distinct()
        .order_by(AdPlatformLink.org_id, AdPlatformLink.provider)
    )
    if org_id is not None:
        query = query.where(AdPlatformLink.org_id == org_id)
    queued = 0
    for org, provider, timezone in session.execute(query).all():
        if not connected(org, provider):
            continue  # no credentials: today's behaviour (uploads) for this workspace
        day = local_today(now, timezone).isoformat()
        submit(
            session,
            KIND,
            {"provider": provider},
            key=f"{KIND}:{org}:{provider}:{day}",
            now=now,
            org_id=org,
            lock_key=lock_key(org, provider),
        )
        queued += 1
    return queued


@register(KIND, max_attempts=6, lease_seconds=300)
def pull_results(job, ctx: JobContext) -> Outcome:
    org_id, provider, now = job.org_id, str(job.payload["provider"]), ctx.now()
    session = ctx.session
    timezone = session.scalar(select(Organization.timezone).where(Organization.id == org_id))
    links = dict(
        session.execute(
            select(AdPlatformLink.platform_campaign_id, AdPlatformLink.campaign_id).where(
                AdPlatformLink.org_id == org_id, AdPlatformLink.provider == provider
            )
        ).all()
    )
    session.rollback()  # nothing of ours stays open across the platform call
    adapter = adapter_for(org_id, provider) if links else None
    if adapter is None:
        return Done({"skipped": "no linked campaigns or no credentials"})
    until = local_today(now, timezone) - timedelta(days=1)
    since = until - timedelta(days=LOOKBACK_DAYS)
    try:
        results = guarded(
            session.get_bind(),
            org_id,
            provider,
            lambda: adapter.results(since, until),
            clock=ctx.clock,
        )
    except CircuitOpen as exc:
        return RetryAt(exc.retry_at, str(exc))
    except IntegrationError as exc:
        said = str(exc)
        return Failed(
            said,
            str(exc.error_class),
            retry_after=exc.retry_after,
            apply=lambda s: _record_error(s, org_id, provider, said),
        )
    mine = [r for r in results if r.campaign_id in links]
    window = (since.isoformat(), until.isoformat())
    return Done(
        {"rows": len(mine), "since": window[0], "until": window[1]},
        apply=lambda s: save_results(s, org_id, provider, links, mine, window=window, now=now),
    )


def _row(line: int, campaign_id: int, result: DailyResult) -> MetricRow:
    return MetricRow(
        line,
        campaign_id,
        result.day,
        {
            "spend": result.spend.quantize(Decimal("0.01"), ROUND_HALF_UP),
            "impressions": result.impressions,
            "clicks": result.clicks,
            "conversions": int(result.conversions.to_integral_value(ROUND_HALF_UP)),
            "revenue": result.conversion_value.quantize(Decimal("0.01"), ROUND_HALF_UP),
        },
    )


def save_results(
    session: Session,
    org_id: int,
    provider: str,
    links: dict[str, int],
    results: list[DailyResult],
    *,
    window: tuple[str, str],
    now: datetime,
) -> tuple[int, int]:
    """Write the pulled days (the upload's writer; source = the platform), then queue each
    linked campaign's budget push. Returns (days created, days corrected)."""
    rows = [_row(i, links[r.campaign_id], r) for i, r in enumerate(results)]
    created, updated = save_rows(session, org_id, rows, source=provider, now=now)
    for link in session.scalars(
        select(AdPlatformLink).where(
            AdPlatformLink.org_id == org_id, AdPlatformLink.provider == provider
        )
    ):
        link.last_pull_at, link.last_error = now, None
    log_activity(
        session,
        org_id,
        "ads.results_pulled",
        f"{LABELS[provider]} results for {window[0]} to {window[1]}: {created} new "
        f"day{'s' if created != 1 else ''}, {updated} updated with the platform's latest figures.",
        now=now,
        details={"provider": provider, "created": created, "updated": updated},
    )
    queue_budget_pushes(session, org_id, sorted(set(links.values())), now=now, reason="daily")
    return created, updated


def _record_error(session: Session, org_id: int, provider: str, error: str) -> None:
    for link in session.scalars(
        select(AdPlatformLink).where(
            AdPlatformLink.org_id == org_id, AdPlatformLink.provider == provider
        )
    ):
        link.last_error = f"Results pull failed: {error}"[:2000]
