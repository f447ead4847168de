"""Segments: rules over contacts (fields, tags, typed custom attributes, events, email
engagement, other segments), compiled to SQL, with stored membership kept current by
contact changes, hourly and nightly passes; and contact tags.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "add_tag": "tags",
    "remove_tag": "tags",
    "tags_of": "tags",
    "is_member": "membership",
    "json_text": "sql",
    "looks_numeric": "sql",
    "RulesInvalid": "rules",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
