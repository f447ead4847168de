"""A weekly report as people read it: the week in words, the headline cards with their
week-over-week arrows, and the charts' series. Shared by the report pages and the email."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from webapp.models import WeeklyReport
from webapp.services import metrics
from webapp.services.reporting.figures import channel_label
from webapp.services.reporting.insights import pct_text


def week_label(week_start: date, week_end: date) -> str:
    """'16–22 Nov 2026', '30 Nov – 6 Dec 2026', '29 Dec 2025 – 4 Jan 2026'."""
    if week_start.year != week_end.year:
        return f"{week_start:%-d %b %Y} – {week_end:%-d %b %Y}"
    if week_start.month != week_end.month:
        return f"{week_start:%-d %b} – {week_end:%-d %b %Y}"
    return f"{week_start:%-d}–{week_end:%-d %b %Y}"


CARD_SPECS = (
    # key, label, format, is an increase good news?
    ("leads", "Leads", "count", True),
    ("spend", "Spend", "money", None),
    ("revenue", "Revenue", "money", True),
    ("roi", "ROI", "ratio", True),
)


def _display(kind: str, value: object) -> str:
    if kind == "count":
        return f"{int(value or 0):,}"
    if kind == "money":
        return f"${Decimal(str(value or 0)):,.2f}"
    return "no spend" if value is None else f"{Decimal(str(value)):.2f}×"


def describe_change(change: dict, good_when_up: bool | None) -> dict:
    """Arrow, words and tone (good | bad | neutral) for one week-over-week change."""
    direction, pct = change.get("direction"), change.get("pct")
    if direction in ("up", "down"):
        arrow = "▲" if direction == "up" else "▼"
        tone = (
            "neutral"
            if good_when_up is None
            else ("good" if (direction == "up") == good_when_up else "bad")
        )
        sign = "+" if direction == "up" else "−"
        return {
            "arrow": arrow,
            "text": f"{sign}{pct_text(pct)} vs previous week",
            "tone": tone,
            "direction": direction,
        }
    if direction == "new":
        return {
            "arrow": "▲",
            "text": "new: none the previous week",
            "tone": "neutral" if good_when_up is None else "good",
            "direction": direction,
        }
    if direction == "flat":
        return {
            "arrow": "▶",
            "text": "no change vs previous week",
            "tone": "neutral",
            "direction": direction,
        }
    return {"arrow": "", "text": "nothing spent, so no ROI", "tone": "neutral", "direction": "none"}


def headline_cards(report: WeeklyReport) -> list[dict]:
    """The four headline numbers of a report with their week-over-week change, display-ready."""
    summary = report.summary or {}
    changes = summary.get("changes") or {}
    previous = summary.get("previous") or {}
    current = {
        "leads": report.leads,
        "spend": report.spend,
        "revenue": report.revenue,
        "roi": report.roi,
    }
    cards = []
    for key, label, kind, good in CARD_SPECS:
        change = describe_change(changes.get(key) or {"direction": "none"}, good)
        loss = key == "roi" and metrics.is_loss(current[key])
        if loss and change["tone"] == "good":
            change["tone"] = "bad"  # a better loss is still a loss: never shown in green
        cards.append(
            {
                "key": key,
                "label": label,
                "value": _display(kind, current[key]),
                "previous": _display(kind, previous.get(key)) if previous else None,
                "change": change,
                "loss": loss,
            }
        )
    return cards


def chart_data(report: WeeklyReport) -> dict:
    """The per-channel per-day series of a report, labelled, for the charts and their tables."""
    summary = report.summary or {}
    days = summary.get("days") or [
        (report.week_start + timedelta(days=i)).isoformat() for i in range(7)
    ]
    series = summary.get("series") or {}

    def labelled(kind: str) -> list[dict]:
        return [
            {"channel": key, "label": channel_label(key), "values": values}
            for key, values in (series.get(kind) or {}).items()
        ]

    return {
        "days": days,
        "day_labels": [date.fromisoformat(d).strftime("%a %-d %b") for d in days],
        "leads": labelled("leads"),
        "spend": labelled("spend"),
    }
