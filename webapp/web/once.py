"""Create forms sent once (see services/accounts/submissions.py): `{{ once() }}` in a form
adds its one-time token; every POST view that gets one runs guarded by it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Flask, flash, make_response, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.accounts import submissions
from webapp.web import htmx as hx

FIELD = "_once"
SENT = "That form was already sent; this is what it did."
STILL = "That form was already sent and is still being handled. Refresh in a moment."


def once_field() -> Markup:
    return Markup(f'<input type="hidden" name="{FIELD}" value="{uuid.uuid4().hex}">')


def guarded(view: Callable[[], object]) -> object:
    """Run `view` once per one-time token; a repeat is sent where the first one led."""
    token = request.form.get(FIELD) if request.method == "POST" else None
    if not token or not current_user.is_authenticated:
        return view()
    try:
        row = submissions.claim(db.session, current_user.id, token, now=clock.now())
    except submissions.AlreadySent as sent:
        return _repeat(sent.result_url)
    except IntegrityError:  # the same token, sent at the same moment, got there first
        db.session.rollback()
        return _repeat(None)
    response = make_response(view())
    led_to = response.headers.get("HX-Redirect") or (
        response.location if response.status_code in (301, 302, 303) else None
    )
    if row is not None and (led_to or response.status_code >= 400):
        row_id = row.id
        db.session.rollback()  # the view committed its work (and the token), or refused it
        if led_to:
            submissions.record_result(db.session, row_id, led_to)
        else:  # refused (field errors): the same form may be sent again, corrected
            submissions.release(db.session, row_id)
        db.session.commit()
    return response


def _repeat(result_url: str | None) -> Response:
    flash(SENT if result_url else STILL, "info")
    return hx.redirect_to(result_url or request.referrer or "/")


def register_once(app: Flask) -> None:
    app.add_template_global(once_field, "once")
