"""The inbox query: search, filters, sort and pages that stay fast at 200,000 leads.

How each part is served (bench/inbox.py measures it through the real app):

- Every sort walks an index that starts with `org_id`: newest/oldest `ix_leads_org_created`,
  score `ix_leads_org_score`, name `ix_leads_org_name`; the status filter has its own
  `ix_leads_org_status_created`. A page reads per_page + 1 rows to know if another follows.
- Counts are bounded ("more than 10,000") and read only an index: the whole inbox counts
  on any `org_id` index, a filtered view on `ix_leads_org_filters`, which holds every
  filter column. The last page tells its total for free.
- Substring search (3 characters or more) runs over `search_text`. The search index says
  whether few leads contain the term, reading no more matches than that takes: SQLite's
  FTS5 trigram table (a long term: the leads holding its rarest trigrams), PostgreSQL's
  pg_trgm GIN index (see search_index). Few (a person, an address, a number): their sort
  keys come in one query that also counts them, and the page is cut from them. Many:
  walking the sort order finds a page sooner — newest/oldest on `ix_leads_search_walk`,
  which holds the search text, so no row is read until the page is found — and the count
  stays open ("many"), since counting would read every match. Both databases decide alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from math import ceil
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, bindparam, func, select, text, type_coerce
from sqlalchemy.orm import Session

from webapp.core.clock import day_end, day_start
from webapp.core.db import read
from webapp.models import LEAD_STATUSES, Lead
from webapp.services.leads.fields import exact_phone, phone_search_term, region_for
from webapp.services.leads.listing import fetch, rows_by_id, select_leads
from webapp.services.leads.search_index import few_matches, scan_contains

SORTS = {
    "newest": (Lead.created_at.desc(), Lead.id.desc()),
    "oldest": (Lead.created_at.asc(), Lead.id.asc()),
    "score": (Lead.score.desc(), Lead.id.desc()),
    "name": (Lead.full_name.asc(), Lead.id.asc()),
}
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "score": "Highest score",
    "name": "Name A–Z",
}
# The sort columns, for ordering a few search matches in Python exactly as SQL would.
SORT_KEYS = {
    "newest": (Lead.created_at, True),
    "oldest": (Lead.created_at, False),
    "score": (Lead.score, True),
    "name": (Lead.full_name, False),
}
FILTER_INDEX = "ix_leads_org_filters"
COUNT_CAP = 10_000  # the whole inbox: an index-only count of 10,000 entries takes ~2 ms
FILTERED_COUNT_CAP = 1_000
SEARCH_COUNT_CAP = 1_000
# More matches than this and the term is common: walking the sort index finds a page sooner
# than reading every match (FTS_FEW when the walk needs no row reads, see _walked_page).
FTS_CANDIDATES = 2_000
FTS_FEW = 500
MIN_TERM = 3  # trigram indexes need three characters
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class LeadFilter:
    """Filters of the inbox. Dates are days in `tz` (the workspace's zone), both inclusive."""

    status: str | None = None
    source: str | None = None
    since: date | None = None
    until: date | None = None
    min_score: int | None = None
    tz: str = "UTC"

    @property
    def active(self) -> bool:
        return any(
            v not in (None, "")
            for v in (self.status, self.source, self.since, self.until, self.min_score)
        )


@dataclass
class LeadPage:
    rows: list[Lead]
    page: int
    per_page: int
    has_next: bool
    total: int | None  # None: not counted ("many")
    total_capped: bool = False  # total is a floor: "10,000+"
    term: str = ""  # the search term as searched (phone numbers in stored form)
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int | None:
        if self.total is None or self.total_capped:
            return None
        return max(1, ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)


def normalise_term(q: str | None, region: str | None) -> str:
    term = re.sub(r"\s+", " ", (q or "").strip().lower())[:100]
    return phone_search_term(term, region) or term


def filter_conditions(org_id: int, filters: LeadFilter) -> list[ColumnElement]:
    """The WHERE clause of the filters, for the page, the count and the export."""
    conds: list[ColumnElement] = [Lead.org_id == org_id]
    if filters.status in LEAD_STATUSES:
        conds.append(Lead.status == filters.status)
    if filters.source:
        conds.append(Lead.source == filters.source)
    zone = ZoneInfo(filters.tz)
    if filters.since:
        conds.append(Lead.created_at >= day_start(filters.since, zone))
    if filters.until:
        conds.append(Lead.created_at < day_end(filters.until, zone))
    if filters.min_score:
        conds.append(Lead.score >= filters.min_score)
    return conds


def search_leads(
    session: Session,
    org_id: int,
    q: str | None,
    filters: LeadFilter | None = None,
    sort: str = "newest",
    page: int = 1,
    per_page: int = 25,
    *,
    listing: bool = False,
) -> LeadPage:
    """One page of the workspace's leads matching `q` and `filters`, in `sort` order: Lead
    objects, or with `listing` the inbox's LeadListing rows (`leads.listing`)."""
    filters = filters or LeadFilter()
    sort = sort if sort in SORTS else "newest"
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conds = filter_conditions(org_id, filters)
    region = region_for(filters.tz)
    term = normalise_term(q, region)
    notes: list[str] = []
    cap = FILTERED_COUNT_CAP if filters.active else COUNT_CAP
    if term and len(term) < MIN_TERM:
        notes.append(f"Type at least {MIN_TERM} characters to search; showing every lead.")
        term = ""
    if term:
        cap = SEARCH_COUNT_CAP
        phone = exact_phone(term, region)
        if phone:
            conds.append(Lead.phone == phone)  # a whole number: the phone index answers
        else:
            # The walk index covers the newest/oldest order with a date range only.
            covered = sort in ("newest", "oldest") and not (
                filters.status or filters.source or filters.min_score
            )
            few, indexed, ids = few_matches(
                session, term, FTS_FEW if covered else FTS_CANDIDATES, FTS_CANDIDATES
            )
            if few is not None:
                # Only the matches and the workspace: the statement built once serves it.
                plain = (org_id, ids) if len(few) == 1 and not filters.active else None
                return _page_of_matches(
                    session, [*conds, *few], term, sort, page, per_page, notes, plain, listing
                )
            if indexed and covered:  # a common term: walk the order, never count
                conds.append(scan_contains(session, term))
                return _walked_page(session, conds, term, sort, page, per_page, notes, listing)
            conds.append(Lead.search_text.contains(term, autoescape=True))
            if indexed:
                cap = None  # a common term: counting would read every match

    whole = org_id if not (term or filters.active) else None
    return _offset_page(
        session, conds, filters, term, sort, page, per_page, notes, cap, whole, listing
    )


@cache
def _whole_inbox(sort: str, listing: bool) -> tuple[Select, Select]:
    """A workspace's whole inbox in `sort` order: (its page, its count up to :cap), built once
    a process. It is the view opened most, and building a statement costs about as much as
    SQLite's answer to it."""
    mine = Lead.org_id == bindparam("org_id")
    page = select_leads(listing).where(mine).order_by(*SORTS[sort])
    page = page.offset(bindparam("offset")).limit(bindparam("limit"))
    inner = select(Lead.id).where(mine).limit(bindparam("cap")).subquery()
    return page, select(func.count()).select_from(inner)


def _offset_page(
    session: Session,
    conds: list[ColumnElement],
    filters: LeadFilter,
    term: str,
    sort: str,
    page: int,
    per_page: int,
    notes: list[str],
    cap: int | None,
    whole: int | None = None,
    listing: bool = False,
) -> LeadPage:
    """The page by OFFSET, with a total counted up to `cap` (None: no count). `whole`: the
    workspace whose whole inbox `conds` select (statements built once)."""
    offset = (page - 1) * per_page
    if whole is not None:
        statement, counting = _whole_inbox(sort, listing)
        params = {"org_id": whole, "offset": offset, "limit": per_page + 1}
        rows = fetch(session, statement, params, listing)
    else:
        query = select_leads(listing).where(*conds).order_by(*SORTS[sort])
        rows = fetch(session, query.offset(offset).limit(per_page + 1), {}, listing)
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    result = LeadPage(
        rows=rows,
        page=page,
        per_page=per_page,
        has_next=has_next,
        total=None,
        term=term,
        notes=notes,
    )
    if not has_next and (rows or page == 1):
        result.total = offset + len(rows)  # the last page tells the total for free
    elif cap is not None:
        if whole is not None:
            n = session.scalar(counting, {"org_id": whole, "cap": cap + 1}) or 0
            result.total, result.total_capped = (cap, True) if n > cap else (n, False)
        else:
            index = FILTER_INDEX if filters.active and not term else None
            result.total, result.total_capped = _bounded_count(session, conds, cap, index=index)
        if result.total_capped and offset + len(rows) >= result.total:
            result.total, result.total_capped = None, False
    return result


def _walked_page(
    session: Session,
    conds: list[ColumnElement],
    term: str,
    sort: str,
    page: int,
    per_page: int,
    notes: list[str],
    listing: bool = False,
) -> LeadPage:
    """A common term: walk `ix_leads_search_walk` (org, created_at, id and the search text)
    in order, testing each entry without reading its row, then read the page's rows. At 1
    match in 400 the first page reads about 10,000 index entries."""
    offset = (page - 1) * per_page
    ids = list(
        session.scalars(
            select(Lead.id).where(*conds).order_by(*SORTS[sort]).offset(offset).limit(per_page + 1)
        )
    )
    rows = rows_by_id(session, ids[:per_page], listing)
    result = LeadPage(
        rows=rows,
        page=page,
        per_page=per_page,
        has_next=len(ids) > per_page,
        total=None,
        term=term,
        notes=notes,
    )
    if not result.has_next and (rows or page == 1):
        result.total = offset + len(rows)
    return result


def _page_of_matches(
    session: Session,
    conds: list[ColumnElement],
    term: str,
    sort: str,
    page: int,
    per_page: int,
    notes: list[str],
    plain: tuple[int, list[int]] | None = None,
    listing: bool = False,
) -> LeadPage:
    """The page from the search index's few matches (`conds` name them): their sort keys in
    one query (which also counts them exactly), ordered here on SQLite, then the page's rows
    by id. `plain`: (workspace, matches) when `conds` are only these (a statement built once)."""
    if session.get_bind().dialect.name == "sqlite":
        if plain is not None:
            query, params = _keys_of_matches(sort), {"org_id": plain[0], "ids": plain[1]}
        else:
            query, params = _in_one_row(select(Lead.id, _sort_key(sort)).where(*conds)), {}
        keys = json.loads(read(session, query, params).scalar() or "[]")
        keys.sort(key=lambda r: (r[1], r[0]), reverse=SORT_KEYS[sort][1])
    else:  # names order by the database's collation, as the other pages do
        query = select(Lead.id).where(*conds).order_by(*SORTS[sort])
        keys = read(session, query).all()
    offset = (page - 1) * per_page
    page_ids = [r[0] for r in keys[offset : offset + per_page]]
    return LeadPage(
        rows=rows_by_id(session, page_ids, listing),
        page=page,
        per_page=per_page,
        has_next=len(keys) > offset + per_page,
        total=len(keys),
        term=term,
        notes=notes,
    )


def _sort_key(sort: str) -> ColumnElement:
    # The raw stored time orders the same (SQLite keeps UTC times as sortable text) and
    # skips converting a datetime per match.
    column = SORT_KEYS[sort][0]
    return type_coerce(column, String()) if column is Lead.created_at else column


@cache
def _keys_of_matches(sort: str) -> Select:
    """The ids and sort keys of a workspace's leads among the index's matches (:ids)."""
    mine = Lead.org_id == bindparam("org_id")
    matches = Lead.id.in_(bindparam("ids", expanding=True))
    return _in_one_row(select(Lead.id, _sort_key(sort)).where(mine, matches))


def _in_one_row(keys: Select) -> Select:
    """SQLite: `keys`' (id, key) rows as one JSON array in one row. Row by row, each of up to
    500 steps let go of the GIL and gave the worker's other threads a turn."""
    inner = keys.subquery()
    return select(func.json_group_array(func.json_array(*inner.c)))


def _bounded_count(
    session: Session, conds: list[ColumnElement], cap: int, *, index: str | None = None
) -> tuple[int, bool]:
    """min(matching rows, cap + 1) without reading past cap + 1: (count, more than cap?).

    `index` names the index SQLite must use (its planner would rather seek a narrower one
    and then read rows to test the other filters)."""
    inner = select(Lead.id).where(*conds).limit(cap + 1)
    if index:
        inner = inner.with_hint(Lead, f"INDEXED BY {index}", dialect_name="sqlite")
    inner = inner.subquery()
    n = session.scalar(select(func.count()).select_from(inner)) or 0
    return (cap, True) if n > cap else (n, False)


def iter_leads(
    session: Session,
    org_id: int,
    q: str | None,
    filters: LeadFilter | None = None,
    sort: str = "newest",
    batch: int = 1000,
) -> Iterator[Lead]:
    """Every lead of the filtered view in order, read in batches (for the CSV export)."""
    filters = filters or LeadFilter()
    conds = filter_conditions(org_id, filters)
    term = normalise_term(q, region_for(filters.tz))
    if len(term) >= MIN_TERM:
        conds.append(Lead.search_text.contains(term, autoescape=True))
    query = select(Lead).where(*conds).order_by(*SORTS.get(sort, SORTS["newest"]))
    result = session.execute(query.execution_options(yield_per=batch))
    yield from result.scalars()


_SOURCES = text(  # parsed once: the full inbox asks it on every visit
    "WITH RECURSIVE s(source, n) AS ("
    " SELECT (SELECT min(source) FROM leads WHERE org_id = :org), 1"
    " UNION ALL"
    " SELECT (SELECT min(source) FROM leads WHERE org_id = :org AND source > s.source), n + 1"
    " FROM s WHERE s.source IS NOT NULL AND n < :limit"
    ") SELECT source FROM s WHERE source IS NOT NULL"
)


def distinct_sources(session: Session, org_id: int, limit: int = 100) -> list[str]:
    """The workspace's lead sources, by hopping through `ix_leads_org_source` one value at a
    time (a loose index scan) instead of reading every row."""
    rows = session.execute(_SOURCES, {"org": org_id, "limit": limit})
    return [r[0] for r in rows]
