"""Weekly reports: numbers, insights, display and delivery, and imported ad results.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "Insights": "reports",
    "MetricRow": "ad_rows",
    "builtin_insights": "insights",
    "gather_facts": "figures",
    "last_complete_week": "figures",
    "log_report_generated": "delivery",
    "owners": "delivery",
    "queue_report_emails": "delivery",
    "save_report": "reports",
    "save_rows": "ad_results",
    "send_report_emails": "delivery",
    "write_insights": "reports",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
