"""Public tracking links in sequence emails: unsubscribe, the open pixel, click redirects.

No sign-in and no CSRF token (mail clients post RFC 8058 one-click unsubscribes without
cookies); every link carries a token signed with the app's secret instead, and a click
only redirects to an address that appeared in the message sent (no open redirect).
A GET never unsubscribes: link scanners follow links. A HEAD, a prefetch or a known
scanner gets the same answer as a person but counts no open and no click. A workspace's
tracking domain (a CNAME to this deployment) reaches these same routes: nothing here
depends on the host a request arrived on.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request

from webapp.core import clock
from webapp.core.db import begin_write
from webapp.core.extensions import csrf, db
from webapp.models import Lead, Organization
from webapp.services.messaging import consent, tracking

bp = Blueprint("track", __name__)
csrf.exempt(bp)


def _write() -> None:
    # Close any read the request made (loading a signed-in user), then take the write lock.
    db.session.commit()
    begin_write(db.session)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _unsubscribe_context(token: str):
    send, _rest = tracking.send_for(db.session, _secret(), "unsubscribe", token)
    if send is None:
        abort(
            404, "This unsubscribe link is not valid. If you copied it, check that it is complete."
        )
    lead = db.session.get(Lead, send.lead_id)
    org = db.session.get(Organization, send.org_id)
    if lead is None or org is None:
        abort(404, "This unsubscribe link no longer works: the contact was removed.")
    return send, lead, org


def _masked(address: str | None) -> str:
    if not address or "@" not in address:
        return address or "this address"
    local, _, domain = address.partition("@")
    return f"{local[:2]}{'•' * max(len(local) - 2, 1)}@{domain}"


@bp.get("/u/<token>")
def unsubscribe_page(token: str):
    _send, lead, org = _unsubscribe_context(token)
    return render_template(
        "track/unsubscribe.html",
        org=org,
        address=_masked(lead.email),
        unsubscribed=consent.opted_out(db.session, lead, "email"),
        token=token,
        just_now=False,
    )


@bp.post("/u/<token>")
def unsubscribe(token: str):
    _write()
    send, lead, org = _unsubscribe_context(token)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    how = (
        "one-click unsubscribe from the mail app"
        if one_click
        else "the unsubscribe link in an email"
    )
    consent.unsubscribe(
        db.session, lead, channel="email", reason=f"Unsubscribed by {how}.", now=clock.now()
    )
    db.session.commit()
    if one_click:
        return Response("Unsubscribed.\n", mimetype="text/plain")
    return render_template(
        "track/unsubscribe.html",
        org=org,
        address=_masked(lead.email),
        unsubscribed=True,
        token=token,
        just_now=True,
    )


@bp.post("/u/<token>/resubscribe")
def resubscribe(token: str):
    _write()
    _send, lead, org = _unsubscribe_context(token)
    consent.resubscribe(
        db.session,
        lead,
        channel="email",
        reason="Subscribed again from the unsubscribe page.",
        now=clock.now(),
    )
    db.session.commit()
    return render_template(
        "track/unsubscribe.html",
        org=org,
        address=_masked(lead.email),
        unsubscribed=False,
        token=token,
        just_now=False,
        resubscribed=True,
    )


def _person() -> bool:
    """A HEAD, a prefetch or a known link scanner is answered but counts nothing."""
    return tracking.not_a_person(request.method, request.headers) is None


@bp.get("/o/<token>.gif")
def open_pixel(token: str):
    if _person():
        _write()
        send, _rest = tracking.send_for(db.session, _secret(), "open", token)
        if send is not None:
            tracking.record_open(db.session, send, now=clock.now())
        db.session.commit()
    response = Response(tracking.PIXEL_GIF, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, max-age=0"
    return response


@bp.get("/c/<token>")
def click(token: str):
    person = _person()
    if person:
        _write()
    send, rest = tracking.send_for(db.session, _secret(), "click", token)
    destination = (
        tracking.safe_destination(send, rest[0] if rest else None) if send is not None else None
    )
    if destination is None:
        db.session.rollback()
        abort(404, "This link is not valid. If you copied it, check that it is complete.")
    if person:
        tracking.record_click(db.session, send, now=clock.now())
        db.session.commit()
    return redirect(destination, code=302)
