"""Your account (change password) and the forgotten-password flow: ask for a link, use it."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.accounts import passwords
from webapp.services.accounts.people import TooManyAttempts
from webapp.web.accounts.auth_forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    ResetPasswordForm,
)
from webapp.web.after_response import run_after_response

bp = Blueprint("account", __name__)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = passwords.change_password(
                db.session,
                current_user,
                form.current.data,
                form.password.data,
                keep_session=current_user.session_token,
            )
        except passwords.WrongPassword as exc:
            form.current.errors.append(str(exc))
        else:
            db.session.commit()
            others = (
                f" {ended} other session{'s' if ended != 1 else ''} signed out." if ended else ""
            )
            flash(f"Password changed.{others}", "success")
            return redirect(url_for("account.password"))
    status = 422 if form.errors else 200
    return render_template("account/password.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("account/forgot.html", form=form, sent=False), status
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    now = clock.now()
    try:
        found = passwords.request_reset(
            db.session,
            form.email.data,
            ip=request.remote_addr or "unknown",
            now=now,
            minutes=minutes,
        )
    except TooManyAttempts as exc:
        form.email.errors.append(str(exc))
        return render_template("account/forgot.html", form=form, sent=False), 429
    db.session.commit()
    if found is not None:
        user, token = found
        link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("account.reset", token=token)
        email, name = user.email, user.name

        def send(app) -> None:
            with app.app_context():
                passwords.send_reset_email(
                    db.engine, email=email, name=name, link=link, minutes=minutes, now=now
                )

        # After the response: no transaction open while SMTP talks, and the answer takes as
        # long for an email with an account as for one without.
        run_after_response("password reset email", send)
    return render_template("account/forgot.html", form=form, sent=True, minutes=minutes)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    now = clock.now()
    try:
        passwords.find_reset(db.session, token, now=now)
    except passwords.ResetInvalid as exc:
        return _no_referrer(render_template("account/reset.html", form=None, error=str(exc)), 410)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        passwords.reset_password(db.session, token, form.password.data, now=now)
        db.session.commit()
        flash("Your password is changed. Sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return _no_referrer(render_template("account/reset.html", form=form, error=None), status)


def _no_referrer(body: str, status: int):
    """The link's token is in this page's address: never send it on as a Referer."""
    return body, status, {"Referrer-Policy": "no-referrer"}
