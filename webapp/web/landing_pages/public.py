"""The public landing page: /p/<workspace>/<page>, its form, and the workspace's logo.

No session, no cookies, no CSRF token (a token would need a cookie): the form has the
public lead form's honeypot and rate limit instead, through the same service path.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    request,
    url_for,
)

from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.services.landing_pages import (
    count_view,
    is_bot,
    public_logo,
    published_page,
    submit_form,
    ui_text,
)
from webapp.services.leads import LeadInvalid, RateLimited
from webapp.web.input import NulInField
from webapp.web.landing_pages.render import render_page, render_public
from webapp.web.messaging.confirm import send_confirmation_soon

bp = Blueprint("landing_public", __name__)
csrf.exempt(bp)
MAX_SLUG = 60


def _found(workspace_slug: str, page_slug: str):
    if len(workspace_slug) > MAX_SLUG or len(page_slug) > MAX_SLUG:
        abort(404)
    return published_page(db.session, workspace_slug, page_slug) or abort(404)


def _prefetch() -> bool:
    purpose = (request.headers.get("Sec-Purpose") or request.headers.get("Purpose") or "").lower()
    return "prefetch" in purpose


@bp.errorhandler(404)
def not_found(_error) -> tuple[str, int]:
    return render_public("landing_pages/not_found.html", message=None), 404


@bp.errorhandler(NulInField)
def nul_in_field(error: NulInField) -> tuple[str, int]:
    return render_public("landing_pages/not_found.html", message=error.description), 400


@bp.route("/p/<workspace_slug>/<page_slug>")
def show(workspace_slug: str, page_slug: str):
    org, page = _found(workspace_slug, page_slug)
    sent = request.args.get("sent") == "1"
    counted = request.method == "GET" and not sent  # HEAD is not a visit
    if counted and not is_bot(request.user_agent.string) and not _prefetch():
        count_view(db.session, page.id, now=clock.now())
        db.session.commit()
    response = make_response(render_page(org, page, sent=sent))
    response.headers["Cache-Control"] = "no-store"  # each view is counted, and is current
    return response


@bp.route("/p/<workspace_slug>/<page_slug>", methods=["POST"])
def submit(workspace_slug: str, page_slug: str):
    org, page = _found(workspace_slug, page_slug)
    form = request.form.to_dict()
    ui = ui_text(page.language)
    try:
        lead = submit_form(
            db.session, page, form, ip=request.remote_addr or "unknown", now=clock.now()
        )
    except RateLimited as exc:
        db.session.commit()  # the attempt stays counted against the limit
        message = str(exc) if page.language == "en" else ui["rate_limited"]
        response = make_response(render_page(org, page, values=form, message=message), 429)
        response.headers["Retry-After"] = str(max(1, int(exc.retry_after.total_seconds() + 0.999)))
        return response
    except LeadInvalid as exc:
        db.session.commit()
        errors = {
            field: ui["phone_invalid"] if field == "phone" else ui["email_invalid"]
            for field in exc.errors
            if field in ("email", "phone")
        } or {"email": ui["email_invalid"]}
        return render_page(org, page, values=form, errors=errors, message=ui["check_form"]), 422
    db.session.commit()
    send_confirmation_soon(lead)
    target = url_for(".show", workspace_slug=workspace_slug, page_slug=page_slug, sent=1)
    return redirect(f"{target}#form", code=303)


@bp.route("/p/<workspace_slug>/logo.png")
def logo(workspace_slug: str):
    brand = public_logo(db.session, workspace_slug[:MAX_SLUG])
    if brand is None:
        abort(404)
    etag = f"logo-{brand.org_id}-{int(brand.updated_at.timestamp())}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(brand.logo, mimetype="image/png")
    response.set_etag(etag)
    # The page's link carries the logo's version (?v=), so a changed logo is a new address.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
