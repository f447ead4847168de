"""Settings → Integrations → DKIM signing: the domain, selector and private key our mail is
signed with (optional), a key generated on request, and the DNS record to publish."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.connections import (
    CredentialsError,
    DkimError,
    dkim_settings,
    remove_dkim,
    save_dkim,
)
from webapp.web.context import org_required, owner_required
from webapp.web.forms import ConfirmForm

bp = Blueprint("dkim", __name__, url_prefix="/settings/integrations/dkim")


class DkimForm(FlaskForm):
    domain = StringField(
        "Signing domain",
        validators=[InputRequired("Enter the domain your mail comes from."), Length(max=253)],
        description="The domain of your From address, e.g. alicebakes.com.",
    )
    selector = StringField(
        "Selector",
        default="autopilot1",
        validators=[InputRequired("Enter a selector, e.g. autopilot1."), Length(max=63)],
        description="Names the DNS record (selector._domainkey.domain); change it to rotate keys.",
    )
    private_key = TextAreaField(
        "Private key (PEM)",
        validators=[Optional(), Length(max=10000)],
        description="Paste an RSA private key, or leave blank and press “Generate a key”. "
        "A saved key is never shown; leave blank to keep it.",
    )


def _page(form: DkimForm | None = None, status: int = 200):
    try:
        current = dkim_settings(db.session, g.org.id)
        unreadable = None
    except CredentialsError as exc:
        current, unreadable = None, str(exc)
    if form is None:
        form = DkimForm(formdata=None, obj=current)
    page = render_template(
        "integrations/dkim.html",
        form=form,
        current=current,
        unreadable=unreadable,
        confirm=ConfirmForm(),
    )
    return page, status


@bp.route("")
@org_required
def show():
    return _page()


@bp.route("", methods=["POST"])
@bp.route("/generate", methods=["POST"], endpoint="generate")
@owner_required
def save():
    form = DkimForm()
    form.private_key.data = "" if request.endpoint == "dkim.generate" else form.private_key.data
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        save_dkim(
            db.session,
            g.org.id,
            domain=form.domain.data,
            selector=form.selector.data,
            private_key=form.private_key.data,
            generate=request.endpoint == "dkim.generate",
            actor_id=g.membership.user_id,
            now=clock.now(),
        )
    except DkimError as exc:
        db.session.rollback()
        getattr(form, exc.field).errors = [str(exc)]
        form.private_key.data = ""  # a key typed is never sent back
        return _page(form, 422)
    db.session.commit()
    flash("DKIM signing saved: publish the DNS record below, then mail is signed.", "success")
    return redirect(url_for("dkim.show"))


@bp.route("/remove", methods=["POST"])
@owner_required
def remove():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    removed = remove_dkim(db.session, g.org.id, actor_id=g.membership.user_id, now=clock.now())
    db.session.commit()
    flash("DKIM signing turned off." if removed else "There was no key to remove.", "success")
    return redirect(url_for("dkim.show"))
