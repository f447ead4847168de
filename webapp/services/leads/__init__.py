"""Leads: capture, fields, scoring, handling (status, notes, timeline), search, the public
form, CSV import and export, and attribution.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "safe_cell": "csv_export",  # the suppression list's CSV quotes formulas the same way
    "Captured": "capture",
    "FieldError": "fields",
    "LeadFilter": "search",
    "LeadInvalid": "fields",
    "RateLimited": "forms",
    "receive_form": "forms",
    "capture_lead": "capture",
    "capture_leads": "capture",
    "clean_email": "fields",
    "clean_phone": "fields",
    "contact_changed": "handling",
    "export_csv": "csv_export",
    "iter_leads": "search",
    "region_for": "fields",
    "EDITABLE_FIELDS": "handling",
    "change_status": "handling",
    "update_fields": "handling",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
