"""Predictions: what a campaign's budget will bring per channel — reach, clicks and
conversions as a median with an 80 % interval — from industry benchmarks pooled with the
workspace's own results (a two-level Beta-Binomial, log-normal CPM, Monte Carlo).

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "BENCHMARKS": "benchmarks",
    "CampaignPrediction": "predict",
    "ChannelPrediction": "predict",
    "PREDICTED_CHANNELS": "benchmarks",
    "predict_campaign": "predict",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
