"""Authentication and errors for the JSON API: workspace API keys and the service token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from flask import current_app, g, jsonify, request

from webapp import clock
from webapp.extensions import db
from webapp.services.api_keys import authenticate_api_key


def api_error(status: int, code: str, message: str, **extra):  # noqa: ANN003, ANN201
    """The one JSON error shape: {"error": {"code", "message", …}} with a 4xx/5xx status."""
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return request.headers.get("X-API-Key", "").strip()


def api_key_required(view: Callable) -> Callable:
    """A workspace API key (`Authorization: Bearer ap_…` or `X-API-Key`); sets `g.api_org_id`."""

    @wraps(view)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        row = authenticate_api_key(db.session, _bearer(), now=clock.now())
        if row is None:
            return api_error(401, "unauthorized", "Send a valid workspace API key as `Authorization: Bearer <key>`.")
        g.api_org_id = row.org_id
        g.api_key_id = row.id
        return view(*args, **kwargs)

    return wrapper


def service_token_required(view: Callable) -> Callable:
    """The deployment's SERVICE_TOKEN (for external cron and operators)."""

    @wraps(view)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        expected = current_app.config.get("SERVICE_TOKEN")
        if not expected:
            return api_error(403, "service_token_not_configured", "Set SERVICE_TOKEN to use this endpoint.")
        if not hmac.compare_digest(_bearer().encode(), expected.encode()):
            return api_error(401, "unauthorized", "Send `Authorization: Bearer <SERVICE_TOKEN>`.")
        return view(*args, **kwargs)

    return wrapper
