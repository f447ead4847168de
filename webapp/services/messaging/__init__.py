"""Sequences and their sending: enrolment, dispatch, send windows, templates, tracking, consent, inbound messages and the outbox.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "message_results": "message_figures",
    # A broadcast's recipients are sent as sequence messages (services/broadcasts).
    "KIND": "step_jobs",
    "MAX_ATTEMPTS": "step_jobs",
    "SequenceError": "sequences",
    "StepPlanner": "step_jobs",
    "bulk_enroll": "enrollment",
    "check_step": "sequences",
    "preview_html": "templating",
    "process_due": "dispatch",
    "render_step": "templating",
    "text_to_html": "templating",
    "URL": "templating",
    "variables_for": "templating",
    "enroll_lead": "triggering",
    "next_allowed": "send_windows",
    "parse_hhmm": "send_windows",
    "queue_step": "step_jobs",
    "settle_failed": "dispatch_recovery",
    "zone": "send_windows",
    "quiet_until": "quiet_hours",
    "estimate_sms": "sms_size",
    "measure_sms": "sms_size",
    # An approved email-sequence asset becomes a sequence (services/assets).
    "add_step": "sequences",
    "create_sequence": "sequences",
    # The VERP return path signs the send with the tracking signer (services/suppression).
    "make_token": "tracking",
    "read_token": "tracking",
    "opt_out_by_provider": "consent",
    # Double opt-in of form leads (services/leads' public form asks; the web confirms).
    "form_name": "optin",
    "request_confirmation": "optin",
    "send_confirmations": "optin",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
