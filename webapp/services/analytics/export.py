"""A report's figures as CSV: the totals with the previous period, then a block per
dimension, each metric in its own column (raw numbers, for spreadsheets)."""

from __future__ import annotations

import csv
import io

from webapp.services.analytics.catalogue import DIMENSIONS, METRICS


def figures_csv(name: str, figures: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["report", name])
    writer.writerow(
        ["period", figures["period"]["label"], "previous", figures["previous"]["label"]]
    )
    writer.writerow([])
    writer.writerow(["metric", "value", "previous", "change %", "how"])
    for metric in figures["metrics"]:
        writer.writerow(
            [
                METRICS[metric].label,
                _raw(figures["totals"].get(metric)),
                _raw(figures["previous_totals"].get(metric)),
                _raw(figures["change"].get(metric)),
                METRICS[metric].how,
            ]
        )
    for dimension, table in figures["tables"].items():
        writer.writerow([])
        writer.writerow(
            [DIMENSIONS[dimension].label] + [METRICS[m].label for m in table["metrics"]]
        )
        for row in table["rows"]:
            writer.writerow(
                [_safe(row["label"])] + [_raw(row["values"][m]) for m in table["metrics"]]
            )
    return out.getvalue()


def _raw(value: float | None) -> str:
    return "" if value is None else f"{value:g}" if float(value).is_integer() else str(value)


def _safe(text: str) -> str:
    """A label a spreadsheet would run as a formula (a campaign named "=HYPERLINK(…)")
    is prefixed with a quote."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
