"""One row of campaign results, checked: the campaign it names (by id, name or channel),
its day and its figures, or the reasons it cannot be kept. CSV uploads and the JSON API
check their rows here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Campaign
from webapp.services.autopilot import CHANNEL_LABELS
from webapp.services.reporting.ad_values import (
    COUNTS,
    DATE_FORMATS_DMY,
    FIELDS,
    parse_amount,
    parse_count,
    parse_day,
)


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


class CampaignResolver:
    """Finds the workspace's campaign a row names: by id, by name, or by its channel."""

    def __init__(self, session: Session, org_id: int) -> None:
        rows = session.execute(
            select(Campaign.id, Campaign.name, Campaign.channel, Campaign.auto_managed)
            .where(Campaign.org_id == org_id)
            .order_by(Campaign.id)
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


def check_row(
    line: int, record: dict, resolver: CampaignResolver, formats: tuple[str, ...] = DATE_FORMATS_DMY
) -> MetricRow | list[RowError]:
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
            values[name] = (
                parse_count(record[name]) if name in COUNTS else parse_amount(record[name])
            )
        except ValueError as exc:
            errors.append(RowError(line, f"{name.capitalize()} “{record[name]}” {exc}.", name))
    if errors:
        return errors
    return MetricRow(line, cid, day, values)
