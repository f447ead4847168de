"""Connections to the outside: a workspace's own integration credentials, encrypted
(`credentials`); which provider carries each channel, with those credentials passed in to
the adapters (`channels`); their connection tests (`checks`); and whose signature a
provider's webhook carries (`webhooks`); holding a workspace's email while its relay refuses
us (`holds`); the optional DKIM signing key (`dkim`).

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "configured_providers": "credentials",
    "credential_rows": "credentials",
    "delete_credentials": "credentials",
    "CredentialsError": "credentials",
    "decrypt_values": "credentials",
    "encrypt_values": "credentials",
    "DkimError": "dkim",
    "dkim_settings": "dkim",
    "remove_dkim": "dkim",
    "save_dkim": "dkim",
    "hold_email": "holds",
    "hold_verdict": "holds",
    "held_error": "holds",
    "held_reason": "holds",
    "resume_email": "holds",
    "load_credentials": "credentials",
    "open_channel": "channels",
    "provider_for": "channels",
    "readable": "credentials",
    "save_credentials": "credentials",
    "send_email": "channels",
    "sender_domain": "channels",
    "check_sender": "channels",
    "test_connection": "checks",
    "workspace_values": "credentials",
    "clean_sender": "sender",
    "email_from": "sender",
    "save_email_sender": "sender",
    "SenderInvalid": "sender",
    "suggested_sender": "sender",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
