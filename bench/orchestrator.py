"""Benchmark: the daily autopilot over 10,000 active workspaces.

    .venv/bin/python bench/orchestrator.py [--workspaces 10000]

Builds its own database (a fresh SQLite file, or a fresh database on the server of
TEST_DATABASE_URL), inserts 10,000 workspaces with an active autopilot, 4 auto-managed
campaigns each and 7 days of metrics per campaign (plus a few recent leads), then runs
the daily job once through the real runner (lock, run row, per-workspace commits).
Prints workspaces per second, peak memory and, on its own line,
`orchestrator_seconds_10k: N`.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from bench.databases import fresh_database

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ZONES = ("Europe/London", "Europe/London", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC")
CHANNELS = ("meta_ads", "google_ads", "email", "seo")
SHARES = (Decimal("0.40"), Decimal("0.30"), Decimal("0.20"), Decimal("0.10"))
CHUNK = 5_000


def chunks(rows: list[dict]):
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


def build(app, workspaces: int) -> dict:
    """Bulk-insert the workspaces, autopilots, campaigns, 7 days of metrics and some leads."""
    from webapp.core.extensions import db
    from webapp.models import AutopilotConfig, Campaign, CampaignMetric, Lead, Organization

    rng = random.Random(7)
    created = NOW - timedelta(days=40)
    counts = {"campaigns": 0, "metrics": 0, "leads": 0}
    with db.engine.begin() as conn:
        for start in range(0, workspaces, 1000):
            ids = range(start + 1, min(start + 1000, workspaces) + 1)
            conn.execute(insert(Organization), _organisations(ids, created))
            conn.execute(insert(AutopilotConfig), _autopilots(ids, created))
            campaigns, metrics, leads = [], [], []
            for i in ids:  # one workspace at a time: the random draws keep their order
                made, days = _campaigns(i, rng, created)
                campaigns += made
                metrics += days
                leads += _leads(i, rng)
            conn.execute(insert(Campaign), campaigns)
            for part in chunks(metrics):
                conn.execute(insert(CampaignMetric), part)
            conn.execute(insert(Lead), leads)
            counts["campaigns"] += len(campaigns)
            counts["metrics"] += len(metrics)
            counts["leads"] += len(leads)
        if db.engine.dialect.name == "postgresql":
            for table in ("organizations", "campaigns"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return counts


def _organisations(ids: range, created: datetime) -> list[dict]:
    return [
        {
            "id": i,
            "name": f"Shop {i}",
            "timezone": ZONES[i % len(ZONES)],
            "created_at": created,
        }
        for i in ids
    ]


def _autopilots(ids: range, created: datetime) -> list[dict]:
    return [
        {
            "org_id": i,
            "status": "active",
            "monthly_budget": Decimal("4000.00"),
            "business_description": "",
            "audience": {},
            "goals": {},
            "strategy": {"channels": []},
            "rules": {},
            "wizard": {},
            "ai_monthly_budget": Decimal("10.00"),
            "created_at": created,
            "updated_at": created,
            "activated_at": created,
        }
        for i in ids
    ]


def _campaigns(i: int, rng: random.Random, created: datetime) -> tuple[list[dict], list[dict]]:
    """Workspace `i`'s four auto-managed campaigns and their last 7 days of metrics."""
    campaigns, metrics = [], []
    for k, (channel, share) in enumerate(zip(CHANNELS, SHARES, strict=True)):
        cid = (i - 1) * 4 + k + 1
        budget = Decimal("4000.00") * share
        changed = NOW - timedelta(days=rng.choice((3, 10, 20, 30)))
        campaigns.append(
            {
                "id": cid,
                "org_id": i,
                "name": f"{channel} — Shop {i}",
                "channel": channel,
                "kind": "auto",
                "auto_managed": True,
                "status": "active",
                "monthly_budget": budget,
                "budget_changed_at": changed,
                "settings": {},
                "created_at": created,
                "updated_at": created,
            }
        )
        metrics += _week_of_metrics(i, cid, budget, rng, created)
    return campaigns, metrics


def _week_of_metrics(
    i: int, cid: int, budget: Decimal, rng: random.Random, created: datetime
) -> list[dict]:
    cvr = rng.choice((0.004, 0.008, 0.02, 0.02, 0.035, 0.06))
    daily = float(budget) / 30 * rng.choice((0.6, 1.0, 2.6))
    metrics = []
    for d in range(1, 8):
        clicks = 0 if rng.random() < 0.05 else int(daily / 0.8)
        metrics.append(
            {
                "org_id": i,
                "campaign_id": cid,
                "day": date(2026, 11, 23) - timedelta(days=d),
                "impressions": clicks * 40,
                "clicks": clicks,
                "spend": Decimal(f"{daily:.2f}"),
                "leads": int(clicks * cvr * 2),
                "conversions": int(clicks * cvr),
                "revenue": Decimal(f"{clicks * cvr * 45:.2f}"),
                "source": "api",
                "updated_at": created,
            }
        )
    return metrics


def _leads(i: int, rng: random.Random) -> list[dict]:
    leads = []
    for n in range(2):
        at = NOW - timedelta(days=rng.uniform(0, 9))
        leads.append(
            {
                "org_id": i,
                "full_name": f"Lead {i}-{n}",
                "email": f"lead{i}-{n}@example.com",
                "company": "",
                "source": rng.choice(("meta_ads", "google_ads", "form", "email")),
                "status": "new",
                "score": 0,
                "score_reasons": [],
                "notes": "",
                "extra": {},
                "search_text": f"lead {i}-{n}",
                "created_at": at,
                "updated_at": at,
            }
        )
    return leads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=10_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from jobs.cli import build_app
    from jobs.runner import run_job
    from webapp.core.extensions import db
    from webapp.models import ActivityLog, BudgetChange, JobRun

    url, drop = fresh_database("orchestrator")
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CLOCK": lambda: NOW,
            "SCHEDULER_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        with app.app_context():
            upgrade()
            t0 = time.perf_counter()
            counts = build(app, args.workspaces)
            print(
                f"built {args.workspaces:,} workspaces, {counts['campaigns']:,} campaigns, "
                f"{counts['metrics']:,} metric rows, {counts['leads']:,} leads in {time.perf_counter() - t0:.1f} s "
                f"({db.engine.dialect.name})"
            )
            db.session.remove()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu = time.perf_counter(), time.process_time()
        outcome = run_job(app, "orchestrator")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with app.app_context():
            run = db.session.get(JobRun, outcome.run_id)
            changes = db.session.scalar(select(func.count()).select_from(BudgetChange))
            activity = db.session.scalar(select(func.count()).select_from(ActivityLog))
            print(f"run: {outcome.status} {outcome.message}".rstrip())
            print(f"summary: {run.summary}")
            print(f"budget changes written: {changes:,}; activity rows: {activity:,}")
            db.session.remove()
            db.engine.dispose()
        if outcome.status != "succeeded":
            raise SystemExit(1)
        print(f"run: {seconds:.1f} s wall, {cpu:.1f} s CPU")
        print(f"workspaces_per_second: {args.workspaces / seconds:,.0f}")
        print(f"peak_memory_mb: {rss_peak:.0f} (before the run: {rss_before:.0f})")
        print(f"orchestrator_seconds_10k: {seconds * 10_000 / args.workspaces:.1f}")
    finally:
        drop()


if __name__ == "__main__":
    main()
