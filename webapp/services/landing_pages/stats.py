"""Views and form submissions of landing pages, counted by day without cookies.

A view is one GET of the published page that is not the owner's preview and not a
self-declared bot; nothing is stored about the visitor. One narrow row per page and day
(`landing_page_days`), bumped with one upsert, so counting never rewrites the page row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import LandingPage, LandingPageDay

BOT_WORDS = ("bot", "crawler", "spider", "slurp", "preview")


@dataclass(frozen=True)
class PageFigures:
    views: int
    submissions: int
    pages: list[dict] = field(default_factory=list)  # id, title, slug, status, views, submissions

    @property
    def conversion_rate(self) -> float | None:
        """Submissions per view (0.042 for 4.2 %), None before the first view."""
        return self.submissions / self.views if self.views else None


def is_bot(user_agent: str | None) -> bool:
    agent = (user_agent or "").lower()
    return not agent or any(word in agent for word in BOT_WORDS)


def _bump(session: Session, page_id: int, day: date, column: str) -> None:
    insert = dialect_insert(session)
    values = {"page_id": page_id, "day": day, "views": 0, "form_submissions": 0, column: 1}
    statement = insert(LandingPageDay).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["page_id", "day"],
        set_={column: getattr(LandingPageDay, column) + 1},
    )
    session.execute(statement)


def count_view(session: Session, page_id: int, *, now: datetime) -> None:
    _bump(session, page_id, now.date(), "views")


def count_submission(session: Session, page_id: int, *, now: datetime) -> None:
    _bump(session, page_id, now.date(), "form_submissions")


def totals(session: Session, page_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{page id: (views, submissions)} over all days."""
    if not page_ids:
        return {}
    rows = session.execute(
        select(
            LandingPageDay.page_id,
            func.sum(LandingPageDay.views),
            func.sum(LandingPageDay.form_submissions),
        )
        .where(LandingPageDay.page_id.in_(page_ids))
        .group_by(LandingPageDay.page_id)
    )
    found = {page_id: (int(v or 0), int(s or 0)) for page_id, v, s in rows}
    return {page_id: found.get(page_id, (0, 0)) for page_id in page_ids}


def last_days(session: Session, page_id: int, *, today: date, days: int = 14) -> list[tuple]:
    """(day, views, submissions) for each of the last `days` days, oldest first, zeros included."""
    first = today - timedelta(days=days - 1)
    rows = {
        row.day: (row.views, row.form_submissions)
        for row in session.scalars(
            select(LandingPageDay).where(
                LandingPageDay.page_id == page_id, LandingPageDay.day >= first
            )
        )
    }
    return [(d, *rows.get(d, (0, 0))) for d in (first + timedelta(days=n) for n in range(days))]


def page_figures(session: Session, org_id: int, marketing_campaign_id: int) -> PageFigures:
    """Views, submissions and conversion of the campaign's landing pages (for its page)."""
    pages = list(
        session.scalars(
            select(LandingPage)
            .where(
                LandingPage.org_id == org_id,
                LandingPage.marketing_campaign_id == marketing_campaign_id,
            )
            .order_by(LandingPage.id)
        )
    )
    counted = totals(session, [p.id for p in pages])
    rows = [
        {
            "id": p.id,
            "title": p.title,
            "slug": p.slug,
            "status": p.status,
            "views": counted[p.id][0],
            "submissions": counted[p.id][1],
        }
        for p in pages
    ]
    return PageFigures(
        views=sum(r["views"] for r in rows),
        submissions=sum(r["submissions"] for r in rows),
        pages=rows,
    )
