"""The Job API's work: the job kinds a workspace may enqueue through `POST /api/v1/jobs`
(an explicit allow-list, `API_KINDS`), their checks and handlers, and running them.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "API_KINDS": "kinds",
    "JobRefused": "kinds",
    "cancel_api_job": "kinds",
    "enqueue_api_job": "kinds",
    "export_csv_of": "leads_export",
    "find_api_job": "kinds",
    "retry_api_job": "kinds",
    "run_api_jobs": "running",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
