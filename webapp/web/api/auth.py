"""Authentication and errors for the JSON API: workspace API keys (each with its request
limit) and the service token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, jsonify, request

from webapp.core import clock
from webapp.core.db import run_unit, writes_first
from webapp.core.extensions import db
from webapp.services.accounts.api_keys import (
    ApiKeyRateLimited,
    api_key_use_due,
    authenticate_api_key,
    count_api_request,
    stamp_api_key_use,
)
from webapp.web.api.schemas import ErrorBody, ErrorDetail


def api_error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    """The one JSON error shape (`ErrorBody`): {"error": {"code", "message", "fields"?,
    "errors"?}} with a 4xx/5xx status."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, **extra))
    return jsonify(body.model_dump(mode="json", exclude_unset=True)), status


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return request.headers.get("X-API-Key", "").strip()


def api_key_required(view: Callable) -> Callable:
    """A workspace API key (`Authorization: Bearer ap_…` or `X-API-Key`); sets `g.api_org_id`.

    Each key may make API_REQUESTS_PER_MINUTE requests a minute; past that it is answered
    429 with Retry-After. The request is counted (and committed) before the view runs, so
    it counts whatever the view does.

    Transactions: the key is looked up in a read transaction, which ends there. The count
    (and, once a minute, the key's last-used time) is a short write transaction of its own,
    begun as one at its first statement; then the view runs with nothing open, so a GET's
    reads never turn into a write (on SQLite that upgrade failed with "database is locked").
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        now = clock.now()
        row = authenticate_api_key(db.session, _bearer())
        if row is None:
            db.session.rollback()
            return api_error(
                401,
                "unauthorized",
                "Send a valid workspace API key as `Authorization: Bearer <key>`.",
            )
        key_id, org_id, last_used_at = row.id, row.org_id, row.last_used_at
        db.session.rollback()  # end the read; nothing of it is needed any more
        limited = _count_and_stamp(key_id, last_used_at, now)
        if limited is not None:
            return limited
        g.api_org_id = org_id
        g.api_key_id = key_id
        return run_unit(db.session, view, *args, **kwargs)

    wrapper.api_security = "api_key"  # type: ignore[attr-defined]  (read by spec.py)
    return wrapper


def _count_and_stamp(key_id: int, last_used_at, now) -> tuple[Response, int] | None:
    """Count the request and record the key's use (a write transaction committed here, or
    none when there is nothing to write); the 429 answer when the key is over its limit."""
    per_minute = current_app.config["API_REQUESTS_PER_MINUTE"]
    stamp = api_key_use_due(last_used_at, now=now)
    if per_minute <= 0 and not stamp:
        return None
    with writes_first(db.session):
        try:
            count_api_request(db.session, key_id, per_minute=per_minute, now=now)
        except ApiKeyRateLimited as exc:
            if stamp:
                stamp_api_key_use(db.session, key_id, now=now)
            db.session.commit()
            response, status = api_error(
                429, "rate_limited", str(exc), limit=exc.limit, window_seconds=60
            )
            retry = max(1, int(exc.retry_after.total_seconds() + 0.999))
            response.headers["Retry-After"] = str(retry)
            return response, status
        if stamp:
            stamp_api_key_use(db.session, key_id, now=now)
        db.session.commit()
    return None


def service_token_required(view: Callable) -> Callable:
    """The deployment's SERVICE_TOKEN (for external cron and operators)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        expected = current_app.config.get("SERVICE_TOKEN")
        if not expected:
            return api_error(
                403, "service_token_not_configured", "Set SERVICE_TOKEN to use this endpoint."
            )
        if not hmac.compare_digest(_bearer().encode(), expected.encode()):
            return api_error(401, "unauthorized", "Send `Authorization: Bearer <SERVICE_TOKEN>`.")
        return view(*args, **kwargs)

    wrapper.api_security = "service_token"  # type: ignore[attr-defined]  (read by spec.py)
    return wrapper
