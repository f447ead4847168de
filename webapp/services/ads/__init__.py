"""Ad platforms (Google Ads, Meta): a workspace's ad accounts and their Test connection
(`accounts`, `probe`), linking autopilot channel campaigns to platform campaigns (`links`),
the daily results pull (`pull`), budget pushes with read-back and the month cap (`push`,
`budgets`), and running their queue jobs (`running`).

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "AdsError": "links",
    "PlatformFailed": "links",
    "ads_probe": "probe",
    "create_platform_campaign": "links",
    "link_campaign": "links",
    "link_of": "links",
    "panel": "links",
    "platform_campaigns": "links",
    "queue_budget_pushes": "push",
    "queue_pulls": "pull",
    "run_ads_jobs": "running",
    "suggested_daily": "links",
    "unlink_campaign": "links",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
