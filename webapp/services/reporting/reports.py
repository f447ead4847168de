"""Weekly reports: the words (insights and recommendations) for a week's figures, the
stored report, and reading past reports.

    report = build_weekly_report(session, org, None, now)   # last complete week, upserted

A job splits the same steps so no transaction stays open during the AI call:
`gather_facts` (reads, in `figures`) → commit → `write_insights` (AI) → `save_report`
(one upsert).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Organization, WeeklyReport
from webapp.services.ai import BUILTIN_MODEL, complete_json
from webapp.services.reporting.figures import channel_label, gather_facts, last_complete_week
from webapp.services.reporting.insights import (
    INSIGHTS_SCHEMA,
    SYSTEM_PROMPT,
    builtin_insights,
    clean_insights,
    prompt_facts,
)

__all__ = [
    "INSIGHTS_SCHEMA",
    "Insights",
    "build_weekly_report",
    "channel_label",
    "gather_facts",
    "last_complete_week",
    "latest_report",
    "previous_report",
    "report_history",
    "save_report",
    "write_insights",
]

HISTORY_PAGE_SIZE = 10


# --- the words ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Insights:
    insights: list[str]
    recommendations: list[str]
    provider: str
    model: str
    fallback_reason: str | None = None

    @property
    def written_by(self) -> str:
        return f"{self.provider}/{self.model}"[:80]


def write_insights(session: Session, org: Organization, facts: dict, now: datetime) -> Insights:
    """Insights and recommendations for `facts`, by the workspace's AI provider.

    The AI layer falls back to `builtin_insights` by itself (no key, budget spent, invalid
    answer) and says why; an answer that validates but carries nothing usable falls back here.
    """
    result = complete_json(
        session,
        org.id,
        purpose="report_insights",
        system=SYSTEM_PROMPT,
        prompt=json.dumps(prompt_facts(facts), sort_keys=True),
        schema=INSIGHTS_SCHEMA,
        builtin=lambda: builtin_insights(facts),
        now=now,
    )
    data = clean_insights(result.data)
    if data is None:
        data = builtin_insights(facts)
        reason = f"the {result.provider} answer had no usable insights"
        return Insights(data["insights"], data["recommendations"], "builtin", BUILTIN_MODEL, reason)
    return Insights(
        data["insights"],
        data["recommendations"],
        result.provider,
        result.model,
        result.fallback_reason,
    )


# --- the stored report --------------------------------------------------------------------


def save_report(
    session: Session, org: Organization, facts: dict, words: Insights, now: datetime
) -> WeeklyReport:
    """Insert or update the workspace's report for the week of `facts` (one row per week).

    What was already emailed is kept, so regenerating a week never emails it again.
    """
    week_start = date.fromisoformat(facts["week_start"])
    report = session.scalars(
        select(WeeklyReport).where(
            WeeklyReport.org_id == org.id, WeeklyReport.week_start == week_start
        )
    ).one_or_none()
    kept = {}
    if report is None:
        report = WeeklyReport(org_id=org.id, week_start=week_start)
        session.add(report)
    else:
        kept = {
            k: v for k, v in (report.summary or {}).items() if k in ("emailed_to", "emailed_at")
        }
    totals = facts["totals"]
    report.week_end = date.fromisoformat(facts["week_end"])
    report.leads = totals["leads"]
    report.spend = Decimal(totals["spend"])
    report.revenue = Decimal(totals["revenue"])
    report.roi = None if totals["roi"] is None else Decimal(totals["roi"])
    report.top_channel = facts["top_channel"]
    report.insights = list(words.insights)
    report.recommendations = list(words.recommendations)
    report.written_by = words.written_by
    report.summary = {
        **facts,
        "ai": {
            "provider": words.provider,
            "model": words.model,
            "fallback_reason": words.fallback_reason,
        },
        "emailed_to": kept.get("emailed_to", []),
        **({"emailed_at": kept["emailed_at"]} if "emailed_at" in kept else {}),
    }
    report.created_at = now
    session.flush()
    return report


def build_weekly_report(
    session: Session, org: Organization, week_start: date | None, now: datetime
) -> WeeklyReport:
    """Build (or rebuild) the report of the week starting `week_start` (None: the last
    complete week) and return the stored row. Raises ValueError for a non-Monday."""
    facts = gather_facts(session, org, week_start, now)
    return save_report(session, org, facts, write_insights(session, org, facts, now), now)


# --- reading ------------------------------------------------------------------------------


def latest_report(session: Session, org_id: int) -> WeeklyReport | None:
    return session.scalars(
        select(WeeklyReport)
        .where(WeeklyReport.org_id == org_id)
        .order_by(WeeklyReport.week_start.desc())
        .limit(1)
    ).first()


def report_history(
    session: Session, org_id: int, page: int = 1, per_page: int = HISTORY_PAGE_SIZE
) -> tuple[list[WeeklyReport], int]:
    """One page of the workspace's reports, newest week first, and the number of pages."""
    total = (
        session.scalar(
            select(func.count()).select_from(WeeklyReport).where(WeeklyReport.org_id == org_id)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(WeeklyReport)
        .where(WeeklyReport.org_id == org_id)
        .order_by(WeeklyReport.week_start.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), pages


def previous_report(session: Session, report: WeeklyReport) -> WeeklyReport | None:
    return session.scalars(
        select(WeeklyReport)
        .where(WeeklyReport.org_id == report.org_id, WeeklyReport.week_start < report.week_start)
        .order_by(WeeklyReport.week_start.desc())
        .limit(1)
    ).first()
