"""How figures read: a value in its unit, the change against the previous period, and the
chart series (one a dimension: the first metric it splits), shared by page, email and CSV."""

from __future__ import annotations

from webapp.services.analytics.catalogue import DIMENSIONS, METRICS


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    unit = METRICS[metric].unit
    if unit == "money":
        return f"${value:,.2f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}×"
    return f"{value:,.0f}"


def format_change(change: float | None) -> str:
    if change is None:
        return "no comparison"
    return f"{'+' if change > 0 else ''}{change:.1f}% vs previous"


def cards(figures: dict) -> list[dict]:
    """The headline figures: label, value, previous value, change and how it is computed."""
    return [
        {
            "metric": m,
            "label": METRICS[m].label,
            "how": METRICS[m].how,
            "value": format_value(m, figures["totals"].get(m)),
            "previous": format_value(m, figures["previous_totals"].get(m)),
            "change": format_change(figures["change"].get(m)),
            "trend": _trend(figures["change"].get(m)),
        }
        for m in figures["metrics"]
    ]


def _trend(change: float | None) -> str:
    if not change:
        return "flat"
    return "up" if change > 0 else "down"


def chart_series(figures: dict) -> list[dict]:
    """One chart a dimension that splits any metric: its first metric against the groups."""
    out = []
    for dimension, table in figures["tables"].items():
        if not table["metrics"] or not table["rows"]:
            continue
        metric = table["metrics"][0]
        out.append(
            {
                "id": f"chart-{dimension}",
                "dimension": dimension,
                "metric": metric,
                "title": f"{METRICS[metric].label} by {DIMENSIONS[dimension].label.lower()}",
                "line": dimension == "date" and len(table["rows"]) > 1,  # one day: a bar
                "labels": [row["label"] for row in table["rows"]],
                "values": [row["values"][metric] for row in table["rows"]],
            }
        )
    return out
