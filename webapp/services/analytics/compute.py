"""A report's figures for one period: totals, the previous period's totals for comparison,
and a table per dimension, from the source queries (only those its metrics need)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.models import AnalyticsReport
from webapp.services.analytics import sources
from webapp.services.analytics.catalogue import METRICS, SPLITTABLE
from webapp.services.analytics.periods import Period

NEEDS = {  # metric -> the sources it is computed from
    "revenue": ("orders",),
    "orders": ("orders",),
    "average_order_value": ("orders",),
    "customers": ("orders",),
    "leads": ("leads",),
    "conversion_rate": ("leads",),
    "messages_sent": ("sends",),
    "delivery_rate": ("sends",),
    "email_open_rate": ("sends",),
    "click_through_rate": ("sends",),
    "spend": ("ads",),
    "ad_clicks": ("ads",),
    "roi": ("orders", "ads"),
    "churn_rate": (),
}
QUERIES = {
    "orders": sources.orders,
    "leads": sources.leads,
    "sends": sources.sends,
    "ads": sources.ads,
}


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return round(part / whole * scale, 4) if whole else None


def derive(base: dict[str, float], metric: str) -> float | None:
    """One metric from the base figures of one group (0 for a group with no records)."""
    get = base.get
    if metric == "revenue":
        return round(get("revenue", 0.0), 2)
    if metric in ("orders", "customers", "leads", "ad_clicks"):
        return get(metric, 0.0)
    if metric == "average_order_value":
        aov = _ratio(get("revenue", 0.0), get("orders", 0.0))
        return None if aov is None else round(aov, 2)
    if metric == "conversion_rate":
        return _ratio(get("converted", 0.0), get("leads", 0.0), 100)
    if metric == "messages_sent":
        return get("sent", 0.0)
    if metric == "delivery_rate":
        return _ratio(get("delivered", 0.0), get("sent", 0.0), 100)
    if metric == "email_open_rate":
        return _ratio(get("opened", 0.0), get("emails", 0.0), 100)
    if metric == "click_through_rate":
        return _ratio(get("clicked", 0.0), get("sent", 0.0), 100)
    if metric == "spend":
        return round(get("spend", 0.0), 2)
    if metric == "roi":
        return _ratio(get("revenue", 0.0) - get("spend", 0.0), get("spend", 0.0))
    if metric == "churn_rate":
        return _ratio(get("lost", 0.0), get("previous_customers", 0.0), 100)
    raise ValueError(f"unknown metric {metric}")


def _base(session, report, period, tz, dimension=None) -> dict[str, dict[str, float]]:
    """{group label: merged base figures} over the sources the report's metrics need."""
    channel = (report.filters or {}).get("channel") or None
    wanted = {name for m in report.metrics for name in NEEDS.get(m, ())}
    merged: dict[str, dict[str, float]] = {}
    for name in sorted(wanted):
        rows = QUERIES[name](session, report.org_id, period, tz, dimension, channel)
        for label, values in rows.items():
            merged.setdefault(label, {}).update(values)
    if dimension is None and "churn_rate" in report.metrics:
        merged.setdefault(sources.TOTAL, {}).update(
            sources.churned(session, report.org_id, period, tz, channel)
        )
    return merged


def totals(session: Session, report: AnalyticsReport, period: Period, tz: str) -> dict:
    base = _base(session, report, period, tz).get(sources.TOTAL, {})
    return {m: derive(base, m) for m in report.metrics}


def table(session: Session, report: AnalyticsReport, period: Period, tz: str, dimension: str):
    """(the metrics this dimension splits, rows of {"label", "values"}); dates in order with
    empty days kept, other groups largest first by the first metric."""
    metrics = [m for m in report.metrics if m in SPLITTABLE[dimension]]
    if not metrics:
        return metrics, []
    base = _base(session, report, period, tz, dimension)
    labels = [d.isoformat() for d in period.days()] if dimension == "date" else list(base)
    rows = [
        {"label": label, "values": {m: derive(base.get(label, {}), m) for m in metrics}}
        for label in labels
    ]
    if dimension != "date":
        rows.sort(key=lambda r: (-(r["values"][metrics[0]] or 0), r["label"]))
    return metrics, rows


def figures(session: Session, report: AnalyticsReport, period: Period, tz: str) -> dict:
    """Everything a report shows and emails for `period`, JSON-storable."""
    previous = period.previous()
    now_totals = totals(session, report, period, tz)
    before = totals(session, report, previous, tz)
    tables = {}
    for dimension in report.dimensions:
        metrics, rows = table(session, report, period, tz, dimension)
        tables[dimension] = {"metrics": metrics, "rows": rows}
    return {
        "period": {"key": period.key, "label": period.label},
        "previous": {"key": previous.key, "label": previous.label},
        "metrics": list(report.metrics),
        "totals": now_totals,
        "previous_totals": before,
        "change": {m: _change(now_totals[m], before[m]) for m in report.metrics},
        "tables": tables,
    }


def _change(now: float | None, before: float | None) -> float | None:
    """Percent change against the previous period; None when there is nothing to compare."""
    if now is None or before is None or before == 0:
        return None
    return round((now - before) / abs(before) * 100, 1)


def unit_of(metric: str) -> str:
    return METRICS[metric].unit
