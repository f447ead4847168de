"""Events: what contacts did, from the API (`record_events`) and from the product's own
happenings (`record_product_event`, and the signal receivers in `product`); a contact's
events for its page; retention.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "ContactRef": "contacts",
    "EventIn": "recording",
    "EventInvalid": "checks",
    "EventResult": "recording",
    "MAX_BATCH": "recording",
    "RETENTION_DEFAULT": "retention",
    "RETENTION_MAX": "retention",
    "RETENTION_MIN": "retention",
    "connect_product_events": "product",
    "key_properties": "timeline",
    "lead_events": "timeline",
    "prune_events": "retention",
    "record_events": "recording",
    "record_product_event": "recording",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
