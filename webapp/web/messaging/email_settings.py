"""Settings → Email tracking and consent: the open pixel, the tracking domain, double opt-in."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.messaging import email_settings
from webapp.web.context import org_required

bp = Blueprint("email_settings", __name__)


class EmailSettingsForm(FlaskForm):
    track_opens = BooleanField("Count opens with a tracking pixel")
    tracking_domain = StringField("Tracking domain (optional)", validators=[Length(max=253)])
    double_optin = BooleanField("Ask form contacts to confirm their email address (double opt-in)")


@bp.route("/settings/email", methods=["GET", "POST"])
@org_required
def settings():
    form = EmailSettingsForm(obj=g.org)
    if request.method == "POST":
        if g.membership.role != "owner":
            abort(403, "Only an owner can change the email settings.")
        if form.validate_on_submit():
            try:
                email_settings.update_email_settings(
                    db.session,
                    g.org,
                    track_opens=form.track_opens.data,
                    tracking_domain=form.tracking_domain.data,
                    double_optin=form.double_optin.data,
                    actor_id=current_user.id,
                    now=clock.now(),
                )
            except email_settings.EmailSettingsInvalid as exc:
                db.session.rollback()
                getattr(form, exc.field).errors.append(str(exc))
            else:
                db.session.commit()
                flash("Email settings saved.", "success")
                return redirect(url_for("email_settings.settings"))
    status = 422 if form.errors else 200
    return render_template(
        "workspace/email_settings.html",
        form=form,
        cname_target=email_settings.cname_target(current_app.config.get("PUBLIC_URL", "")),
        optin_off=email_settings.OPTIN_OFF_CONSEQUENCE,
    ), status
