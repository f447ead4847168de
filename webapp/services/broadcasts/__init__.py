"""Broadcasts: one message to a segment or every subscribed contact, sent now or at a time.

Other areas use only the names exported here (tests/test_layers.py checks it); they are
loaded on first use."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "BroadcastError": "compose",
    "audience_count": "compose",
    "cancel_broadcast": "sending",
    "create_broadcast": "compose",
    "figures": "results",
    "finish_sent": "sending",
    "list_broadcasts": "compose",
    "message_of": "compose",
    "pause_broadcast": "sending",
    "preview": "compose",
    "resume_broadcast": "sending",
    "schedule_broadcast": "sending",
    "segments_for": "compose",
    "send_now": "sending",
    "send_test": "compose",
    "start_due": "sending",
    "update_broadcast": "compose",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
