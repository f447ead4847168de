"""The VERP return path: `bounces+<token>@<domain>`, the token a signed send id.

The signature is the tracking signer's, in lower-case hex. A bounce comes back to the envelope sender; with the send signed in it, the bounce reader
knows which message (and so which contact) bounced even when the bounce quotes nothing of
the original. Signed with the tracking signer (services/messaging/tracking.py, purpose
"bounce"), so a forged or altered token reads as None and is ignored.
"""

from __future__ import annotations

import base64
import re

from flask import current_app

from webapp.services.messaging import make_token, read_token

LOCAL = "bounces"
VERP = re.compile(r"^<?\s*([^+@<>\s]+)\+([^@<>\s]+)@([^@<>\s]+?)\s*>?$")


def _secret(secret: str | None) -> str:
    return secret or current_app.config["SECRET_KEY"]


def verp_token(send_id: int, *, secret: str | None = None) -> str:
    """The token of one send, "1234.<40 hex digits>": the tracking signer's signature in
    hex, because mail servers may change the case of a local part (base64 would break)."""
    value, _, signature = make_token(_secret(secret), "bounce", send_id).partition(".")
    return f"{value}.{base64.urlsafe_b64decode(signature + '=' * (-len(signature) % 4)).hex()}"


def _signed(token: str) -> str | None:
    """The tracking signer's form of a VERP token, or None when it cannot be one."""
    value, _, hex_signature = token.partition(".")
    try:
        raw = bytes.fromhex(hex_signature)
    except ValueError:
        return None
    return f"{value}.{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def return_path(bounce_address: str, send_id: int, *, secret: str | None = None) -> str:
    """`bounces+<token>@domain` for the workspace's bounce address `bounces@domain`."""
    local, _, domain = bounce_address.strip().rpartition("@")
    return f"{local or LOCAL}+{verp_token(send_id, secret=secret)}@{domain}"


def parse_verp(address: str | None, *, secret: str | None = None) -> int | None:
    """The send id signed in a VERP address, or None (not VERP, or forged)."""
    match = VERP.match((address or "").strip())
    if match is None:
        return None
    signed = _signed(match.group(2).lower())
    values = read_token(_secret(secret), "bounce", signed) if signed else None
    return values[0] if values and len(values) == 1 else None
