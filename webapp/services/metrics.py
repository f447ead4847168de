"""The ONE definition of a workspace's results: leads, conversions, spend and revenue per
campaign and day, and so per period and channel. The dashboard, the campaigns page, the
weekly report and the optimiser all read their numbers from here, so they always agree.

- Days are calendar dates in the workspace's time zone (the metrics rows' own days).
- Spend, clicks, conversions and revenue are the campaigns' daily metrics (uploaded, from
  an ad platform, or counted by our own sends).
- Leads of a campaign on a day are the greater of what its platform reported and the inbox
  leads linked to it that created that day: both usually count the same people, so adding
  them would count each twice, and taking either alone loses the other's leads.
- Inbox leads linked to no campaign count for the channel they came from (their source
  when that is a channel, else "other"), so a total is every lead in the inbox plus those
  only a platform knows of.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, func, literal, select
from sqlalchemy.orm import Session

from webapp.core.db import read
from webapp.models import Campaign, CampaignMetric, Lead, ResultsStamp

CENT = Decimal("0.01")
OTHER = "other"  # leads linked to no campaign and from no channel
CHANNELS = frozenset(
    ("email", "sms", "whatsapp", "google_ads", "meta_ads", "seo", "content", "referral", "events")
)


@dataclass
class Result:
    """Results of one campaign-day, or of a sum of them."""

    spend: Decimal = Decimal("0")
    clicks: int = 0
    impressions: int = 0
    leads: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal("0")

    def add(self, other: Result) -> None:
        self.spend += other.spend
        self.clicks += other.clicks
        self.impressions += other.impressions
        self.leads += other.leads
        self.conversions += other.conversions
        self.revenue += other.revenue

    @property
    def roi(self) -> Decimal | None:
        return roi(self.revenue, self.spend)


@dataclass(frozen=True)
class DayRow:
    """One campaign's day (campaign_id None: inbox leads linked to no campaign)."""

    campaign_id: int | None
    channel: str
    day: date
    result: Result


def roi(revenue: Decimal, spend: Decimal) -> Decimal | None:
    """Revenue ÷ spend to 4 places; None when nothing was spent."""
    if spend <= 0:
        return None
    return (revenue / spend).quantize(Decimal("0.0001"))


def is_loss(value: Decimal | float | None) -> bool:
    """An ROI under 1× loses money (0.98× is a loss, never shown as a success)."""
    return value is not None and Decimal(str(value)) < 1


def campaign_days(
    session: Session,
    zones: dict[int, str],
    first: date,
    last: date,
    *,
    until: datetime | None = None,
) -> dict[tuple[int, date], Result]:
    """Each campaign's results per day first..last for the workspaces `zones` (org id →
    time zone), in two queries whatever the number of workspaces. `until` cuts the inbox
    leads at a moment (a week so far)."""
    inbox: dict[tuple[int, date], int] = defaultdict(int)
    for org_id, campaign_id, created_at in _inbox_leads(session, zones, first, last, until):
        if campaign_id is not None:
            inbox[(campaign_id, _local_day(created_at, zones[org_id]))] += 1
    return _with_inbox(_platform_days(session, zones, first, last), inbox, first, last)


def _platform_days(session, zones, first, last) -> dict[tuple[int, date], Result]:
    """The campaigns' daily metrics rows of the workspaces `zones`, days first..last."""
    out: dict[tuple[int, date], Result] = {}
    params = {"org_ids": list(zones), "first": first, "last": last}
    for cid, day, spend, clicks, impressions, leads, conversions, revenue in read(
        session, _platform_query(), params
    ):
        out[(cid, day)] = Result(
            _money(spend),
            int(clicks or 0),
            int(impressions or 0),
            int(leads or 0),
            int(conversions or 0),
            _money(revenue),
        )
    return out


def _money(value) -> Decimal:
    return (value if isinstance(value, Decimal) else Decimal(str(value or 0))).quantize(CENT)


@lru_cache(maxsize=1)
def _platform_query():
    """`_platform_days`' statement, built once (workspaces and days are parameters)."""
    m = CampaignMetric
    return select(
        m.campaign_id, m.day, m.spend, m.clicks, m.impressions, m.leads, m.conversions, m.revenue
    ).where(
        m.org_id.in_(bindparam("org_ids", expanding=True)),
        m.day >= bindparam("first", type_=m.day.type),
        m.day <= bindparam("last", type_=m.day.type),
    )


def _with_inbox(out, inbox, first, last) -> dict[tuple[int, date], Result]:
    """`out` with each campaign-day's leads the greater of the platform's and the inbox's
    (`inbox`: (campaign id, day) → inbox leads)."""
    for key, count in inbox.items():
        if first <= key[1] <= last:
            result = out.setdefault(key, Result())
            result.leads = max(result.leads, count)
    return out


def day_rows(
    session: Session,
    org_id: int,
    timezone: str,
    first: date,
    last: date,
    *,
    until: datetime | None = None,
) -> list[DayRow]:
    """One workspace's results per campaign and day first..last, with its unlinked inbox
    leads as rows of their channel."""
    zones = {org_id: timezone}
    channels = dict(read(session, _channels_query(), {"org_id": org_id}).all())
    # One read of the inbox's counts per campaign, source and local day serves both the
    # campaigns' days and the unlinked leads.
    inbox: dict[tuple[int, date], int] = defaultdict(int)
    unlinked: dict[tuple[str, date], int] = defaultdict(int)
    for campaign_id, source, day, count in _inbox_day_counts(
        session, org_id, timezone, first, last, until
    ):
        if campaign_id is not None:
            inbox[(campaign_id, day)] += count
        else:
            unlinked[(source if source in CHANNELS else OTHER, day)] += count
    days = _with_inbox(_platform_days(session, zones, first, last), inbox, first, last)
    rows = [
        DayRow(cid, channels.get(cid, OTHER), day, result) for (cid, day), result in days.items()
    ]
    rows += [DayRow(None, ch, day, Result(leads=n)) for (ch, day), n in unlinked.items()]
    return rows


@lru_cache(maxsize=1)
def _channels_query():
    return select(Campaign.id, Campaign.channel).where(Campaign.org_id == bindparam("org_id"))


def totals(rows: list[DayRow]) -> Result:
    total = Result()
    for row in rows:
        total.add(row.result)
    return total


def by_channel(rows: list[DayRow]) -> dict[str, Result]:
    out: dict[str, Result] = defaultdict(Result)
    for row in rows:
        out[row.channel].add(row.result)
    return dict(out)


def by_campaign(rows: list[DayRow]) -> dict[int, Result]:
    out: dict[int, Result] = defaultdict(Result)
    for row in rows:
        if row.campaign_id is not None:
            out[row.campaign_id].add(row.result)
    return dict(out)


def period(
    session: Session, org, first: date, last: date, *, until: datetime | None = None
) -> list[DayRow]:
    """`day_rows` of the workspace `org` (anything with .id and .timezone)."""
    return day_rows(session, org.id, org.timezone or "UTC", first, last, until=until)


def results_stamp(session: Session, org_id: int) -> int:
    """The workspace's results stamp: the database bumps it (triggers, migration 0047) in
    the same transaction as any change to the leads, campaign metrics or campaigns its
    results are computed from. Figures computed after reading stamp N hold while it is N.
    Read it before the figures: then they are never older than the stamp."""
    return read(session, _stamp_query(), {"org_id": org_id}).scalar() or 0


@lru_cache(maxsize=1)
def _stamp_query():
    return select(ResultsStamp.version).where(ResultsStamp.org_id == bindparam("org_id"))


def _local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone or "UTC")).date()


def _inbox_leads(session, zones, first, last, until, *, with_source=False):
    """The inbox leads that may fall on the days first..last in some workspace's zone
    (a day's margin each side; the callers keep the exact local days)."""
    start = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC)
    cols = [Lead.org_id, Lead.campaign_id, Lead.created_at] + ([Lead.source] if with_source else [])
    query = select(*cols).where(
        Lead.org_id.in_(list(zones)), and_(Lead.created_at >= start, Lead.created_at < end)
    )
    if until is not None:
        query = query.where(Lead.created_at <= until)
    return session.execute(query).all()


def _inbox_day_counts(session, org_id, timezone, first, last, until):
    """(campaign id, source, local day, leads) of one workspace's inbox leads created on the
    local days first..last (up to `until`): counted by the database, each lead placed on
    its day by comparing its moment with the UTC instants of the zone's local midnights."""
    zone = ZoneInfo(timezone or "UTC")
    days = [first + timedelta(days=n) for n in range((last - first).days + 2)]
    edges = [datetime.combine(d, time(0), tzinfo=zone).astimezone(UTC) for d in days]
    params = {f"e{n}": edge for n, edge in enumerate(edges)}
    params.update(org_id=org_id, until=until)
    query = _day_counts_query(len(days) - 1, until is not None)
    return [(cid, source, days[n], count) for cid, source, n, count in read(session, query, params)]


@lru_cache(maxsize=64)
def _day_counts_query(days: int, until: bool):
    """The statement of `_inbox_day_counts` for a span of `days` days, built once: its
    edges are parameters (e0 … e<days>), so a page pays no statement building."""
    at = Lead.created_at
    edge = [bindparam(f"e{n}", type_=at.type) for n in range(days + 1)]
    bucket = _day_of(at, edge, 0, days).label("bucket")
    query = (
        select(Lead.campaign_id, Lead.source, bucket, func.count())
        .where(Lead.org_id == bindparam("org_id"), at >= edge[0], at < edge[days])
        .group_by(Lead.campaign_id, Lead.source, bucket)
    )
    return query.where(at <= bindparam("until", type_=at.type)) if until else query


def _day_of(at, edge, lo: int, hi: int):
    """The day index of `at`, known to lie in [edge[lo], edge[hi]): a balanced search of
    nested CASEs, so the database tests about log2(days) edges a lead, not up to `days`."""
    if hi - lo == 1:
        return literal(lo)
    mid = (lo + hi) // 2
    return case((at < edge[mid], _day_of(at, edge, lo, mid)), else_=_day_of(at, edge, mid, hi))
