"""A lead as the inbox lists it: the columns its row shows, read as plain rows.

The inbox and its search show 25 leads a page; building 25 Lead objects (identity map,
JSON and time conversion through the ORM) cost a page about 0.4 ms, more than reading
them. The API, which returns every field, still reads Lead objects.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, defer

from webapp.core.db import read
from webapp.models import Lead
from webapp.models.lead import display_name

LIST_OPTIONS = (defer(Lead.notes), defer(Lead.search_text))  # a list shows neither


class LeadListing(NamedTuple):
    id: int
    full_name: str
    email: str | None
    phone: str | None
    company: str
    source: str
    score: int
    score_reasons: list
    status: str
    created_at: datetime

    @property
    def display_name(self) -> str:
        return display_name(self.full_name, self.email, self.phone, self.id)


COLUMNS = tuple(getattr(Lead, name) for name in LeadListing._fields)


def select_leads(listing: bool) -> Select:
    """SELECT of listed rows (`listing`) or of Lead objects without the unlisted columns."""
    return select(*COLUMNS) if listing else select(Lead).options(*LIST_OPTIONS)


def fetch(session: Session, statement: Select, params: dict[str, Any], listing: bool) -> list:
    """The rows of `select_leads(listing)` … : LeadListings or Leads."""
    if listing:
        return [LeadListing._make(row) for row in read(session, statement, params)]
    return list(session.scalars(statement, params))


def rows_by_id(session: Session, ids: list[int], listing: bool) -> list:
    """The rows of `ids` (LeadListings or Leads), in that order."""
    found = {row.id: row for row in fetch(session, _by_id(listing), {"ids": ids}, listing)}
    return [found[i] for i in ids if i in found]


@cache
def _by_id(listing: bool) -> Select:
    # Built once (building it per page cost a third of reading it).
    return select_leads(listing).where(Lead.id.in_(bindparam("ids", expanding=True)))
