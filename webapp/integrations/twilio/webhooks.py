"""Checking that a webhook request really comes from Twilio.

Twilio signs each request (`X-Twilio-Signature`) with the account's auth token over the
URL it called and the form fields; `twilio`'s RequestValidator recomputes it.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def signed_with(token: str | None, url: str, params: Mapping, signature: str) -> bool:
    """Whether `signature` is Twilio's signature of `url` and `params` under `token`."""
    return bool(token and signature) and RequestValidator(token).validate(url, params, signature)
