"""People, workspaces, memberships, invitations, API keys and rate limits.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "bucket": "limits",
    "hit": "limits",
    "clean_postal_address": "postal",
    "postal_address_of": "postal",
    "set_postal_address": "postal",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
