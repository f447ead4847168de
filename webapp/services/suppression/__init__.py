"""The suppression list: addresses a workspace must not send to, per channel (hard bounces,
complaints, unsubscribes, added by hand), the one consent check every send path makes
(`may_send`, and `blocked_many` for a batch), SMTP answers classified at send time, the VERP
return path, the bounce mailbox and the email providers' bounce webhooks.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "SuppressionError": "store",
    "Verdict": "smtp_answers",
    "add_manual": "listing",
    "blocked": "store",
    "blocked_many": "store",
    "classify_smtp": "smtp_answers",
    "classify_transport": "smtp_answers",
    "smtp_verdict": "failures",
    "export_csv": "listing",
    "lift": "store",
    "list_suppressions": "listing",
    "may_send": "store",
    "normalise": "store",
    "note_send_failure": "failures",
    "parse_verp": "verp",
    "read_bounce_mailbox": "mailbox",
    "check_bounce_mailbox": "mailbox",
    "mailbox_workspaces": "mailbox",
    "mailbox_hint": "mailbox",
    "save_bounce_mailbox": "mailbox",
    "remove_bounce_mailbox": "mailbox",
    "suppress": "store",
    "suppressions_for_lead": "store",
    "verp_token": "verp",
    "why_blocked": "store",
    "not_suppressed": "store",
    "WebhookRefused": "webhooks",
    "handle_provider_webhook": "webhooks",
    "WEBHOOK_PROVIDERS": "webhooks",
    "WEBHOOK_LABELS": "webhooks",
    "webhook_hint": "webhooks",
    "save_webhook_secrets": "webhooks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
