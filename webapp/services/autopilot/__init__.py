"""The autopilot: configuration, strategy planner, budget optimiser, auto-managed campaigns and the dashboard.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "CHANNEL_LABELS": "campaigns",
    "apply_plan": "optimizer_runs",
    "channel_label": "campaigns",
    "create_campaigns_from_strategy": "campaigns",
    "load_states": "optimizer_runs",
    "plan_workspace": "optimizer",
    "workspace_of": "optimizer_runs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
