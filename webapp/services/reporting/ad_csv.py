"""Reading an ad platform's CSV export: its encoding, separator and header row (exports often
start with a title and a date range), which columns are ours, and every row checked."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from webapp.models import Organization
from webapp.services.reporting.ad_rows import CampaignResolver, ImportReport, MetricRow, check_row
from webapp.services.reporting.ad_values import (
    FIELDS,
    HEADER_OF,
    date_order,
    normalise_header,
)

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024


class MetricsError(ValueError):
    """The upload as a whole cannot be read (not CSV, no date or campaign column …)."""


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")  # a broken file then has no header
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_score(cells: list[str]) -> int:
    names = {HEADER_OF.get(normalise_header(c)) for c in cells}
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


def _columns(header: list[str], report: ImportReport) -> dict[str, int]:
    """Our field -> its column index; the report notes where each came from and what is ignored."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = HEADER_OF.get(normalise_header(name))
        if key and key not in columns:
            columns[key] = index
            report.columns[key] = name.strip()
        elif name.strip():
            report.ignored_columns.append(name.strip())
    return columns


def read_csv(
    session: Session, org: Organization, data: bytes, *, campaign_id: int | None = None
) -> tuple[list[MetricRow], ImportReport]:
    """Check every row of an uploaded CSV. Returns the good rows and the report.

    With `campaign_id` every row belongs to that campaign (an export of one ad account)
    and the campaign column may be absent. Raises MetricsError when the file as a whole
    cannot be used.
    """
    if len(data) > MAX_BYTES:
        raise MetricsError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it and upload the parts."
        )
    text = _decode(data)
    if not text.strip():
        raise MetricsError("The file is empty.")
    lines, start = _split(text)
    report = ImportReport()
    columns = _columns(lines[start], report)
    if "campaign" not in columns and campaign_id is None:
        raise MetricsError(
            "The file has no campaign column: add one (name or id), or choose the campaign for all rows."
        )
    resolver = CampaignResolver(session, org.id)
    if campaign_id is not None and campaign_id not in resolver.ids:
        raise MetricsError("Choose one of this workspace's campaigns.")
    body = [(start + 2 + n, cells) for n, cells in enumerate(lines[start + 1 :])]
    formats = date_order(
        [cells[columns["date"]] for _n, cells in body if len(cells) > columns["date"]]
    )
    rows: list[MetricRow] = []
    for line, cells in body:
        if not any(c.strip() for c in cells):
            continue
        first = cells[0].strip().lower()
        if first.startswith(("total", "grand total")):
            continue  # the summary line at the end of ad platform exports
        report.rows_read += 1
        if report.rows_read > MAX_ROWS:
            raise MetricsError(
                f"The file has more than {MAX_ROWS:,} rows; split it and upload the parts."
            )
        record = {
            key: (cells[index] if index < len(cells) else "") for key, index in columns.items()
        }
        if campaign_id is not None:
            record["campaign"] = campaign_id
        row = check_row(line, record, resolver, formats)
        if isinstance(row, MetricRow):
            rows.append(row)
        else:
            report.errors.extend(row)
    report.rows_ok = len(rows)
    return rows, report
