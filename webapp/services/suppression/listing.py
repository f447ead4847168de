"""The suppression list as the owner sees it: a page at a time with a search, as CSV, and
an address added by hand."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models.suppression import SUPPRESSION_CHANNELS, Suppression
from webapp.services.leads import safe_cell
from webapp.services.suppression.store import SuppressionError, _row, normalise, suppress

PER_PAGE = 50
CSV_COLUMNS = ("channel", "address", "reason", "detail", "source", "created_at")


@dataclass
class SuppressionPage:
    rows: list[Suppression]
    page_no: int
    has_more: bool


def _query(org_id: int, search: str = "", channel: str = ""):
    query = select(Suppression).where(Suppression.org_id == org_id)
    if channel in SUPPRESSION_CHANNELS:
        query = query.where(Suppression.channel == channel)
    term = search.strip().lower()
    if term:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Suppression.address.like(f"%{escaped}%", escape="\\"))
    return query.order_by(Suppression.created_at.desc(), Suppression.id.desc())


def list_suppressions(
    session: Session,
    org_id: int,
    *,
    search: str = "",
    channel: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SuppressionPage:
    """Newest first; `search` matches part of the address."""
    page = max(page, 1)
    rows = list(
        session.scalars(
            _query(org_id, search, channel).offset((page - 1) * per_page).limit(per_page + 1)
        )
    )
    return SuppressionPage(rows[:per_page], page, len(rows) > per_page)


def export_csv(session: Session, org_id: int, *, search: str = "", channel: str = "") -> str:
    """The (searched) list as CSV, formula-looking values quoted as the lead export does."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in session.scalars(_query(org_id, search, channel).execution_options(yield_per=500)):
        values = [row.channel, row.address, row.reason, row.detail, row.source]
        writer.writerow([safe_cell(v) for v in values] + [row.created_at.isoformat()])
    return out.getvalue()


def add_manual(
    session: Session,
    org_id: int,
    *,
    channel: str,
    address: str,
    note: str,
    actor_id: int | None,
    now: datetime,
) -> Suppression:
    """An address the owner puts on the list. Raises SuppressionError naming the field
    (an address that is not one, or one already on the list)."""
    value = normalise(channel, address)
    if _row(session, org_id, channel, value) is not None:
        raise SuppressionError(f"{value} is already on the suppression list.", "address")
    return suppress(
        session,
        org_id,
        channel,
        value,
        reason="manual",
        now=now,
        detail=note.strip(),
        source="manual",
        actor_id=actor_id,
    )
