"""Analytics reports: what a workspace measures (metrics computed set-based from its
events, sends, leads and ad results), split by dimensions, compared with the previous
period, shown with charts, exported as CSV and emailed on a daily, weekly or monthly
schedule in the workspace's time zone, once per period.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "DIMENSIONS": "catalogue",
    "METRICS": "catalogue",
    "TEMPLATES": "catalogue",
    "ReportInvalid": "manage",
    "cards": "display",
    "chart_series": "display",
    "create_report": "manage",
    "delete_report": "manage",
    "due_reports": "runs",
    "figures": "compute",
    "figures_csv": "export",
    "format_value": "display",
    "generate_run": "runs",
    "last_complete": "periods",
    "latest_runs": "runs",
    "list_reports": "manage",
    "parse_key": "periods",
    "period_containing": "periods",
    "queue_run_emails": "emails",
    "send_run_emails": "emails",
    "template_fields": "manage",
    "update_report": "manage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
