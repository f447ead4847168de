"""The public form endpoint any website can post to: POST /f/<form_token>.

No session and no CSRF token (the poster is another site), so: a honeypot field, a rate
limit per visitor address and per workspace, and `next` followed only when it is safe.
Answers JSON to `fetch` (with CORS headers) and a plain page to a classic form post.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    request,
)

from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.models import Organization
from webapp.services.leads import forms as lead_forms
from webapp.services.leads.capture import LeadInvalid
from webapp.services.marketing import brand_palette
from webapp.web.input import NUL_MESSAGE, NulInField
from webapp.web.landing_pages.render import brand_look, render_public
from webapp.web.messaging.confirm import send_confirmation_soon

bp = Blueprint("lead_form", __name__)
csrf.exempt(bp)

THANKS = "Thank you! We received your details and will be in touch soon."
CHECK_INBOX = " Please check your inbox: we sent you a link to confirm your email address."
FIELD_LABELS = {"email": "Email", "phone": "Phone number", "country": "Country",
                "timezone": "Time zone", "campaign_id": "Campaign"}  # fmt: skip


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Vary"] = "Origin"
    return response


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _answer(
    status: int,
    message: str,
    org: Organization | None,
    *,
    errors: dict | None = None,
    headers: dict | None = None,
    dropped: dict | None = None,
) -> Response:
    if _wants_json():
        body: dict = {"ok": status < 400, "message": message}
        if errors:
            body["errors"] = errors
        if dropped:
            body["not_kept"] = {name: problem for name, (_typed, problem) in dropped.items()}
        response = jsonify(body)
    else:
        look = brand_look(org) if org is not None else {"brand": None, "logo": None,
                                                         "colours": brand_palette(None)}  # fmt: skip
        response = make_response(
            render_public(
                "leads/form_answer.html",
                message=message,
                errors=errors or {},
                dropped=dropped or {},
                labels=FIELD_LABELS,
                org=org,
                ok=status < 400,
                back=request.referrer,
                **look,
            )
        )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return _cors(response)


@bp.errorhandler(NulInField)
def nul_in_field(error: NulInField) -> Response:
    return _answer(400, error.description, None, errors={error.field: NUL_MESSAGE})


@bp.route("/f/<form_token>", methods=["OPTIONS"])
def preflight(form_token: str):
    return _cors(make_response("", 204))


@bp.route("/f/<form_token>", methods=["POST"])
def submit(form_token: str):
    org_id = lead_forms.org_id_from_token(current_app.config["SECRET_KEY"], form_token)
    org = db.session.get(Organization, org_id) if org_id is not None else None
    if org is None:
        return _answer(
            404,
            "This form address is not valid. Copy the form snippet again from the settings.",
            None,
        )
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _answer(400, 'Send a JSON object such as {"email": "…"}.', org)
    else:
        data = request.form.to_dict()
    now = clock.now()
    try:
        received = lead_forms.receive_form(
            db.session, org.id, data, ip=request.remote_addr or "unknown", now=now
        )
    except lead_forms.RateLimited as exc:
        db.session.commit()
        retry = str(max(1, int(exc.retry_after.total_seconds() + 0.999)))
        return _answer(429, str(exc), org, headers={"Retry-After": retry})
    except LeadInvalid as exc:
        db.session.commit()
        return _answer(
            422,
            "We could not take your details yet: please go back and check the form.",
            org,
            errors=exc.errors,
        )
    if received is None:
        db.session.commit()  # counted against the rate limit, nothing else kept
        return _answer(200, THANKS, org)
    db.session.commit()
    send_confirmation_soon(received.lead)
    thanks = THANKS + (CHECK_INBOX if received.lead.optin_state == "pending" else "")
    target = lead_forms.safe_next(
        str(data.get("next") or ""), origin=request.headers.get("Origin"), referrer=request.referrer
    )
    if target and not _wants_json() and not received.dropped:
        return _cors(redirect(target, code=303))
    return _answer(200, thanks, org, dropped=received.dropped)
