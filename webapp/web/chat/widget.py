"""The website widget's public endpoints, called from any site by webapp/static/chat/widget.js.

Cross-origin by design (CORS, any origin, no credentials): the visitor's conversation token
travels in the X-Chat-Token header, never in a cookie of ours, so no third-party cookie is
needed and Safari's or Chrome's cookie blocking cannot break the chat. The script keeps the
token in one first-party cookie on the owner's site. No session, no CSRF token (nothing
here acts for a signed-in person); every request is rate-limited per visitor address and
per widget, and a token only ever opens its own workspace's conversation.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.extensions import csrf, db
from webapp.services.chat import channels

bp = Blueprint("chat_widget", __name__, url_prefix="/chat-widget")
csrf.exempt(bp)

KEY = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Chat-Token",
    "Access-Control-Max-Age": "600",
    "Cache-Control": "no-store",
}


def _json(body: dict, status: int = 200, **headers: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update({**CORS, **headers})
    return response


def _token() -> str | None:
    token = request.headers.get("X-Chat-Token", "")
    return token if TOKEN.match(token) else None


def _limited(key: str, what: str) -> Response | None:
    try:
        channels.check_rate(
            db.session, key, request.remote_addr or "unknown", what, now=clock.now()
        )
    except channels.RateLimited as exc:
        db.session.commit()
        retry = str(max(1, int(exc.retry_after.total_seconds() + 0.999)))
        return _json({"error": str(exc)}, 429, **{"Retry-After": retry})
    return None


@bp.route("/<key>/messages", methods=["OPTIONS"])
def preflight(key: str) -> Response:
    return _json({}, 204 if KEY.match(key) else 404)


@bp.post("/<key>/messages")
def say(key: str) -> Response:
    if not KEY.match(key):
        return _json({"error": "No chat here."}, 404)
    refused = _limited(key, "say")
    if refused is not None:
        return refused
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return _json({"error": "Send JSON with a text field.", "field": "text"}, 400)
    try:
        turn = channels.widget_say(db.session, key, _token(), data["text"], now=clock.now())
    except NotFound as exc:
        db.session.rollback()
        return _json({"error": str(exc)}, 404)
    except channels.MessageRefused as exc:
        db.session.rollback()
        return _json({"error": str(exc), "field": "text"}, 400)
    db.session.commit()
    return _json({"token": turn.token, "messages": [channels.as_json(m) for m in turn.messages]})


@bp.get("/<key>/messages")
def poll(key: str) -> Response:
    if not KEY.match(key):
        return _json({"error": "No chat here."}, 404)
    refused = _limited(key, "poll")
    if refused is not None:
        return refused
    after = request.args.get("after", "0")
    after_id = int(after) if after.isdigit() and len(after) < 12 else 0
    try:
        conversation, messages = channels.widget_messages(
            db.session, key, _token() or "", after=after_id
        )
    except NotFound as exc:
        db.session.commit()
        return _json({"error": str(exc)}, 404)
    db.session.commit()
    return _json(
        {
            "state": conversation.chat_state,
            "messages": [channels.as_json(m) for m in messages],
        }
    )


@bp.get("/<key>/config")
def config(key: str) -> Response:
    if not KEY.match(key):
        return _json({"error": "No chat here."}, 404)
    refused = _limited(key, "poll")
    if refused is not None:
        return refused
    try:
        settings = channels.widget_settings(db.session, key)
    except NotFound as exc:
        db.session.commit()
        return _json({"error": str(exc)}, 404)
    db.session.commit()
    return _json({"title": settings.widget_title})
