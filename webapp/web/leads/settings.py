"""Settings → Lead capture: the workspace's API keys and the HTML snippet of its public form."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import ApiKey
from webapp.services.accounts import api_keys
from webapp.web.context import load, org_required, owner_required
from webapp.web.forms import ConfirmForm
from webapp.web.leads.forms import ApiKeyForm
from webapp.web.leads.views import bp, public_form_url


def _page(form: ApiKeyForm, new_key: str | None = None, status: int = 200):
    return render_template(
        "leads/capture_settings.html",
        form=form,
        confirm=ConfirmForm(),
        new_key=new_key,
        keys=api_keys.list_api_keys(db.session, g.org.id),
        form_url=public_form_url(),
        api_url=current_app.config["PUBLIC_URL"].rstrip("/") + url_for("api.create_lead"),
    ), status


@bp.route("/settings/lead-capture")
@org_required
def capture_settings():
    return _page(ApiKeyForm())


@bp.route("/settings/lead-capture/keys", methods=["POST"])
@owner_required
def create_api_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        _row, key = api_keys.create_api_key(
            db.session, g.membership, form.name.data or "", now=clock.now()
        )
    except DomainError as exc:
        form.name.errors = [str(exc)]
        return _page(form, status=422)
    db.session.commit()
    flash("API key created. Copy it now: it is shown only once.", "success")
    return _page(ApiKeyForm(formdata=None), new_key=key)


@bp.route("/settings/lead-capture/keys/<int:api_key_id>/revoke", methods=["POST"])
@owner_required
def revoke_api_key(api_key_id: int):
    row = load(ApiKey, api_key_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    api_keys.revoke_api_key(db.session, g.membership, row, now=clock.now())
    db.session.commit()
    flash(f"API key “{row.name}” revoked. Requests with it are refused from now on.", "success")
    return redirect(url_for("leads.capture_settings"))
