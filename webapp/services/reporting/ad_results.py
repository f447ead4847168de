"""Daily campaign metrics: one row per campaign per day, from CSV uploads and the JSON API.

Rows are checked one by one (a bad row is reported with its reason and the good rows are
kept); rows of one upload that name the same campaign and day are added up (an ad
platform lists each of its ad sets or ads), and the sum replaces what was stored for
that day, so uploading the same export twice changes nothing. Reading a CSV is in
`ad_csv.py`, checking one row in `ad_rows.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from webapp.models import CampaignMetric, Organization
from webapp.services.activity import log_activity
from webapp.services.reporting.ad_csv import read_csv
from webapp.services.reporting.ad_rows import (
    CampaignResolver,
    ImportReport,
    MetricRow,
    RowError,
    check_row,
)
from webapp.services.reporting.ad_values import FIELDS


def save_rows(
    session: Session, org_id: int, rows: list[MetricRow], *, source: str, now: datetime
) -> tuple[int, int]:
    """Upsert the rows by (campaign, day), adding up rows of the same campaign and day first.

    The sums replace the stored figures they give; figures a row does not give are kept.
    Returns (days created, days updated).
    """
    merged: dict[tuple[int, date], dict] = {}
    for row in rows:
        target = merged.setdefault((row.campaign_id, row.day), {})
        for name, value in row.values.items():
            target[name] = target.get(name, 0) + value
    if not merged:
        return 0, 0
    existing: dict[tuple[int, date], CampaignMetric] = {}
    keys = list(merged)
    for i in range(0, len(keys), 400):
        chunk = keys[i : i + 400]
        for metric in session.scalars(
            select(CampaignMetric).where(
                CampaignMetric.org_id == org_id,
                tuple_(CampaignMetric.campaign_id, CampaignMetric.day).in_(chunk),
            )
        ):
            existing[(metric.campaign_id, metric.day)] = metric
    created = updated = 0
    for (cid, day), values in merged.items():
        metric = existing.get((cid, day))
        if metric is None:
            metric = CampaignMetric(
                org_id=org_id,
                campaign_id=cid,
                day=day,
                impressions=0,
                clicks=0,
                spend=Decimal("0"),
                leads=0,
                conversions=0,
                revenue=Decimal("0"),
            )
            session.add(metric)
            created += 1
        else:
            updated += 1
        for name, value in values.items():
            setattr(metric, name, value)
        metric.source = source
        metric.updated_at = now
    session.flush()
    return created, updated


def import_csv(
    session: Session,
    org: Organization,
    data: bytes,
    *,
    actor_id: int | None,
    actor_name: str,
    now: datetime,
    campaign_id: int | None = None,
    filename: str = "",
) -> ImportReport:
    """Read, check and save an uploaded CSV; good rows are kept, bad ones reported.

    Raises MetricsError when the file cannot be used at all (nothing is saved then).
    """
    rows, report = read_csv(session, org, data, campaign_id=campaign_id)
    report.days_created, report.days_updated = save_rows(
        session, org.id, rows, source="csv", now=now
    )
    if report.days_saved:
        log_activity(
            session,
            org,
            "metrics.imported",
            f"{actor_name} uploaded campaign results{f' from {filename}' if filename else ''}: "
            f"{report.rows_ok} row{'s' if report.rows_ok != 1 else ''} kept ({report.days_created} new days, "
            f"{report.days_updated} updated), {len(report.errors)} with errors.",
            now=now,
            actor_id=actor_id,
            details={
                "rows_read": report.rows_read,
                "rows_ok": report.rows_ok,
                "errors": len(report.errors),
            },
        )
    return report


def import_api_rows(
    session: Session, org_id: int, items: list, *, now: datetime
) -> tuple[ImportReport, list[MetricRow]]:
    """Check rows sent to the JSON API. Saves them only when every row is valid.

    Returns the report (with per-row errors, `row` being the 0-based index) and the rows.
    """
    report = ImportReport(rows_read=len(items))
    resolver = CampaignResolver(session, org_id)
    rows: list[MetricRow] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            report.errors.append(RowError(index, "Each row must be an object."))
            continue
        record = {k: v for k, v in item.items() if k in FIELDS or k == "date"}
        if "campaign_id" in item:
            record["campaign"] = item["campaign_id"]
        elif "campaign" in item:
            record["campaign"] = item["campaign"]
        unknown = sorted(set(item) - set(FIELDS) - {"date", "campaign", "campaign_id"})
        if unknown:
            report.errors.append(
                RowError(
                    index, f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
                )
            )
        checked = check_row(index, record, resolver, ("%Y-%m-%d",))
        if isinstance(checked, MetricRow):
            rows.append(checked)
        else:
            report.errors.extend(checked)
    report.rows_ok = len(rows)
    if not report.errors:
        report.days_created, report.days_updated = save_rows(
            session, org_id, rows, source="api", now=now
        )
        log_activity(
            session,
            org_id,
            "metrics.imported",
            f"Received {len(rows)} row{'s' if len(rows) != 1 else ''} of campaign results through the API "
            f"({report.days_created} new days, {report.days_updated} updated).",
            now=now,
            details={"rows": len(rows), "source": "api"},
        )
    return report, rows
