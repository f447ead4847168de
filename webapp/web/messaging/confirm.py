"""Double opt-in: the link in a form lead's confirmation mail, and sending that mail once
the form's answer has gone out.

Public, no sign-in and no CSRF token: the link carries a token signed with the app's secret.
A person's GET confirms at once (that is the click the mail asks for); a HEAD, a prefetch
or a known link scanner only sees a page with a Confirm button, so a mail gateway that
follows every link confirms nobody.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, abort, current_app, request

from webapp.core import clock
from webapp.core.db import begin_write
from webapp.core.extensions import csrf, db
from webapp.models import Organization
from webapp.services.messaging import optin, tracking
from webapp.web.after_response import run_after_response
from webapp.web.landing_pages.render import brand_look, render_public

bp = Blueprint("confirm", __name__)
csrf.exempt(bp)


def send_confirmation_soon(lead) -> None:
    """Send a new form lead's confirmation mail after this response (the sequences tick
    sends it otherwise). Nothing to do for a contact not waiting to confirm."""
    if lead is None or not optin.waiting(lead):
        return
    lead_id = lead.id

    def work(app: Flask) -> None:
        with app.app_context():
            optin.send_confirmations(
                db.engine, owner=f"optin:{os.getpid()}", clock=clock.now, lead_ids=[lead_id]
            )

    run_after_response("confirmation email", work)


def _page(org: Organization, lead, state: str, token: str, status: int = 200):
    html = render_public(
        "track/confirm.html",
        org=org,
        **brand_look(org),
        state=state,
        address=lead.email if lead is not None else "",
        token=token,
    )
    return html, status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    db.session.commit()  # end the read a signed-in visitor's loading began
    begin_write(db.session)
    lead = optin.lead_for_token(db.session, current_app.config["SECRET_KEY"], token)
    org = db.session.get(Organization, lead.org_id) if lead is not None else None
    if lead is None or org is None:
        db.session.rollback()
        abort(
            404, "This confirmation link is not valid. If you copied it, check that it is complete."
        )
    if optin.waiting(lead):
        person = request.method == "POST" or (
            tracking.not_a_person(request.method, request.headers) is None
        )
        if not person:
            db.session.rollback()
            return _page(org, lead, "ask", token)
        optin.confirm(db.session, lead, now=clock.now())
        db.session.commit()
        return _page(org, lead, "confirmed", token)
    db.session.rollback()
    return _page(org, lead, "already" if lead.optin_state == optin.CONFIRMED else "gone", token)
