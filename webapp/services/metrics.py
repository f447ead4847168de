"""Daily campaign metrics: one row per campaign per day, from CSV uploads and the JSON API.

Rows are checked one by one (a bad row is reported with its reason and the good rows are
kept); rows of one upload that name the same campaign and day are added up (an ad
platform lists each of its ad sets or ads), and the sum replaces what was stored for
that day, so uploading the same export twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from webapp.models import Campaign, CampaignMetric, Organization
from webapp.services.activity import log_activity
from webapp.services.campaigns import CHANNEL_LABELS

COUNTS = ("impressions", "clicks", "leads", "conversions")
AMOUNTS = ("spend", "revenue")
FIELDS = COUNTS + AMOUNTS
MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
MAX_COUNT = 2_000_000_000
MAX_AMOUNT = Decimal("9999999999.99")

# Header names as ad platforms and spreadsheets write them, after normalising (lower
# case, units in brackets dropped, punctuation to spaces).
HEADER_ALIASES = {
    "date": ("date", "day", "reporting starts", "date start", "segments date", "report date", "week"),
    "campaign": ("campaign", "campaign name", "campaign id", "campaign title"),
    "impressions": ("impressions", "impr", "impression"),
    "clicks": ("clicks", "link clicks", "clicks all", "website clicks"),
    "spend": ("spend", "amount spent", "cost", "spent", "amount"),
    "leads": ("leads", "results", "lead", "on facebook leads", "website leads", "sign ups"),
    "conversions": ("conversions", "purchases", "conv", "all conv", "sales", "orders", "website purchases"),
    "revenue": ("revenue", "conversion value", "conv value", "purchases conversion value",
                "purchase conversion value", "total conv value", "sales value", "value"),
}
_ALIAS = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

DATE_FORMATS_DMY = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")
DATE_FORMATS_MDY = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
DATE_FORMATS_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%a, %b %d, %Y")


class MetricsError(ValueError):
    """The upload as a whole cannot be read (not CSV, no date or campaign column …)."""


@dataclass(frozen=True)
class MetricRow:
    """One valid input row: the campaign's day and the figures it gives."""

    line: int  # CSV line number, or the index in an API list
    campaign_id: int
    day: date
    values: dict  # field -> int | Decimal, only the fields the input had


@dataclass
class RowError:
    line: int
    message: str
    field: str | None = None

    def as_json(self) -> dict:
        return {"row": self.line, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    rows_read: int = 0
    rows_ok: int = 0
    days_created: int = 0
    days_updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # our field -> the header it came from
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def days_saved(self) -> int:
        return self.days_created + self.days_updated


# --- parsing values ---------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text.strip().lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def parse_amount(raw: object) -> Decimal:
    """A non-negative amount: "1,234.50", "$12", "12.50 USD", "12,5", "" (zero). Raises ValueError."""
    if isinstance(raw, bool):
        raise ValueError("is not a number")
    if isinstance(raw, int | float | Decimal):
        value = Decimal(str(raw))
    else:
        text = str(raw or "").strip().replace("\u2212", "-")
        text = re.sub(r"[\s\u00a0$£€¥]|\b[A-Z]{3}\b", "", text)  # spaces, currency signs and codes
        if not re.fullmatch(r"-?[\d,.]*", text):
            raise ValueError("is not a number")
        if text in ("", "-", "--"):
            return Decimal("0")
        if "," in text and "." in text:
            decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
            thousands = "," if decimal_mark == "." else "."
            text = text.replace(thousands, "").replace(decimal_mark, ".")
        elif "," in text:
            head, _, tail = text.rpartition(",")
            text = text.replace(",", "") if len(tail) == 3 and head else text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("is not a number") from exc
    if not value.is_finite():
        raise ValueError("is not a number")
    if value < 0:
        raise ValueError("cannot be negative")
    if value > MAX_AMOUNT:
        raise ValueError("is too large")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_count(raw: object) -> int:
    """A non-negative whole number ("1,234", "12", "" for zero). Raises ValueError."""
    value = parse_amount(raw)
    if value != value.to_integral_value():
        raise ValueError("must be a whole number")
    if value > MAX_COUNT:
        raise ValueError("is too large")
    return int(value)


def date_order(values: list[str]) -> tuple[str, ...]:
    """Which of day/month or month/day a file's slashed dates use, from the values themselves.

    A first part above 12 means day first; a second part above 12 means month first;
    with no telling value, day first (the format of most of the world).
    """
    for text in values:
        m = re.match(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\s*$", text or "")
        if m:
            first, second = int(m.group(1)), int(m.group(2))
            if first > 12 >= second:
                return DATE_FORMATS_DMY
            if second > 12 >= first:
                return DATE_FORMATS_MDY
    return DATE_FORMATS_DMY


def parse_day(raw: object, formats: tuple[str, ...] = DATE_FORMATS_DMY) -> date:
    """A date from ISO (2026-11-20, 2026-11-20T00:00:00), slashed or named forms. Raises ValueError."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValueError("is missing")
    iso = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$", text) or re.match(r"(\d{4})/(\d{1,2})/(\d{1,2})$", text)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError as exc:
            raise ValueError(f"“{text}” is not a real date") from exc
    for fmt in formats + DATE_FORMATS_NAMED:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date (use 2026-11-20)")


# --- finding the campaign -----------------------------------------------------------------------


class CampaignResolver:
    """Finds the workspace's campaign a row names: by id, by name, or by its channel."""

    def __init__(self, session: Session, org_id: int) -> None:
        rows = session.execute(
            select(Campaign.id, Campaign.name, Campaign.channel, Campaign.auto_managed)
            .where(Campaign.org_id == org_id).order_by(Campaign.id)
        ).all()
        self.ids = {row.id for row in rows}
        self.by_name = {}
        for row in rows:
            self.by_name.setdefault(row.name.strip().lower(), row.id)
        for row in rows:
            if row.auto_managed:
                for key in (row.channel, CHANNEL_LABELS.get(row.channel, "")):
                    if key:
                        self.by_name.setdefault(key.lower(), row.id)
        self.names = [row.name for row in rows]

    def find(self, raw: object) -> int:
        """The campaign id, or ValueError saying what was not found."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw in self.ids:
                return raw
            raise ValueError(f"no campaign with id {raw} in this workspace")
        text = str(raw or "").strip()
        if not text:
            raise ValueError("is missing")
        if text.isdigit() and int(text) in self.ids:
            return int(text)
        found = self.by_name.get(text.lower())
        if found is None:
            raise ValueError(f"no campaign called “{text}” in this workspace")
        return found


# --- reading a CSV ----------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_score(cells: list[str]) -> int:
    names = {_ALIAS.get(normalise_header(c)) for c in cells}
    return len(names - {None}) if "date" in names and names & set(FIELDS) else 0


def _split(text: str) -> tuple[list[list[str]], int]:
    """The file's rows and the index of its header row, trying comma, tab and semicolon.

    Exports often start with a title and a date range, so the header is the first of the
    first ten lines that names a date column and a figure; the separator is the one that
    finds the richest header.
    """
    head = "\n".join(text.splitlines()[:10])
    best: tuple[int, str, int] | None = None
    for delimiter in (",", "\t", ";"):
        for i, cells in enumerate(csv.reader(io.StringIO(head), delimiter=delimiter)):
            score = _header_score(cells)
            if score:
                if best is None or score > best[0]:
                    best = (score, delimiter, i)
                break
    if best is None:
        raise MetricsError(
            "Could not find the header row: the file needs a date column (such as “Date” or “Day”) "
            "and at least one of impressions, clicks, spend, leads, conversions or revenue."
        )
    _score, delimiter, start = best
    return list(csv.reader(io.StringIO(text), delimiter=delimiter)), start


def read_csv(
    session: Session, org: Organization, data: bytes, *, campaign_id: int | None = None
) -> tuple[list[MetricRow], ImportReport]:
    """Check every row of an uploaded CSV. Returns the good rows and the report.

    With `campaign_id` every row belongs to that campaign (an export of one ad account)
    and the campaign column may be absent. Raises MetricsError when the file as a whole
    cannot be used.
    """
    if len(data) > MAX_BYTES:
        raise MetricsError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it and upload the parts.")
    text = _decode(data)
    if not text.strip():
        raise MetricsError("The file is empty.")
    lines, start = _split(text)
    header = lines[start]
    report = ImportReport()
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _ALIAS.get(normalise_header(name))
        if key and key not in columns:
            columns[key] = index
            report.columns[key] = name.strip()
        elif name.strip():
            report.ignored_columns.append(name.strip())
    if "campaign" not in columns and campaign_id is None:
        raise MetricsError("The file has no campaign column: add one (name or id), or choose the campaign for all rows.")
    resolver = CampaignResolver(session, org.id)
    if campaign_id is not None and campaign_id not in resolver.ids:
        raise MetricsError("Choose one of this workspace's campaigns.")
    body = [(start + 2 + n, cells) for n, cells in enumerate(lines[start + 1 :])]
    formats = date_order([cells[columns["date"]] for _n, cells in body if len(cells) > columns["date"]])
    rows: list[MetricRow] = []
    for line, cells in body:
        if not any(c.strip() for c in cells):
            continue
        first = cells[0].strip().lower()
        if first.startswith(("total", "grand total")):
            continue  # the summary line at the end of ad platform exports
        report.rows_read += 1
        if report.rows_read > MAX_ROWS:
            raise MetricsError(f"The file has more than {MAX_ROWS:,} rows; split it and upload the parts.")
        record = {key: (cells[index] if index < len(cells) else "") for key, index in columns.items()}
        if campaign_id is not None:
            record["campaign"] = campaign_id
        row = check_row(line, record, resolver, formats)
        if isinstance(row, MetricRow):
            rows.append(row)
        else:
            report.errors.extend(row)
    report.rows_ok = len(rows)
    return rows, report


def check_row(line: int, record: dict, resolver: CampaignResolver, formats: tuple[str, ...] = DATE_FORMATS_DMY) -> MetricRow | list[RowError]:
    """One input row (CSV cells or an API object) checked. Returns the row or its errors."""
    errors = []
    day = cid = None
    try:
        day = parse_day(record.get("date"), formats)
    except ValueError as exc:
        errors.append(RowError(line, f"Date {exc}.", "date"))
    try:
        cid = resolver.find(record.get("campaign"))
    except ValueError as exc:
        errors.append(RowError(line, f"Campaign: {exc}.", "campaign"))
    values: dict = {}
    for name in FIELDS:
        if name not in record:
            continue
        try:
            values[name] = parse_count(record[name]) if name in COUNTS else parse_amount(record[name])
        except ValueError as exc:
            errors.append(RowError(line, f"{name.capitalize()} “{record[name]}” {exc}.", name))
    if errors:
        return errors
    return MetricRow(line, cid, day, values)


# --- saving ---------------------------------------------------------------------------------------


def save_rows(session: Session, org_id: int, rows: list[MetricRow], *, source: str, now: datetime) -> tuple[int, int]:
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
                org_id=org_id, campaign_id=cid, day=day, impressions=0, clicks=0, spend=Decimal("0"),
                leads=0, conversions=0, revenue=Decimal("0"),
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
    session: Session, org: Organization, data: bytes, *, actor_id: int | None, actor_name: str,
    now: datetime, campaign_id: int | None = None, filename: str = "",
) -> ImportReport:
    """Read, check and save an uploaded CSV; good rows are kept, bad ones reported.

    Raises MetricsError when the file cannot be used at all (nothing is saved then).
    """
    rows, report = read_csv(session, org, data, campaign_id=campaign_id)
    report.days_created, report.days_updated = save_rows(session, org.id, rows, source="csv", now=now)
    if report.days_saved:
        log_activity(
            session, org, "metrics.imported",
            f"{actor_name} uploaded campaign results{f' from {filename}' if filename else ''}: "
            f"{report.rows_ok} row{'s' if report.rows_ok != 1 else ''} kept ({report.days_created} new days, "
            f"{report.days_updated} updated), {len(report.errors)} with errors.",
            now=now, actor_id=actor_id,
            details={"rows_read": report.rows_read, "rows_ok": report.rows_ok, "errors": len(report.errors)},
        )
    return report


def import_api_rows(session: Session, org_id: int, items: list, *, now: datetime) -> tuple[ImportReport, list[MetricRow]]:
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
            report.errors.append(RowError(index, f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."))
        checked = check_row(index, record, resolver, ("%Y-%m-%d",))
        if isinstance(checked, MetricRow):
            rows.append(checked)
        else:
            report.errors.extend(checked)
    report.rows_ok = len(rows)
    if not report.errors:
        report.days_created, report.days_updated = save_rows(session, org_id, rows, source="api", now=now)
        log_activity(
            session, org_id, "metrics.imported",
            f"Received {len(rows)} row{'s' if len(rows) != 1 else ''} of campaign results through the API "
            f"({report.days_created} new days, {report.days_updated} updated).",
            now=now, details={"rows": len(rows), "source": "api"},
        )
    return report, rows
