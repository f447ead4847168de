"""Sign up, sign in (rate-limited), sign out."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.accounts import people as accounts
from webapp.services.accounts import sessions
from webapp.web.accounts.auth_forms import LoginForm, SignupForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: `next` must never send someone to another site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("dashboard.index")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user, org = accounts.sign_up(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                workspace=form.workspace.data,
                timezone=form.timezone.data,
                now=clock.now(),
            )
        except accounts.EmailTaken as exc:
            form.email.errors.append(str(exc))
        else:
            sessions.start_session(db.session, user, now=clock.now())
            db.session.commit()
            login_user(user)
            session["org_id"] = org.id
            flash(f"Welcome, {user.name}! Your workspace “{org.name}” is ready.", "success")
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("auth/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        try:
            user = accounts.authenticate(
                db.session,
                form.email.data,
                form.password.data,
                ip=request.remote_addr or "unknown",
                now=clock.now(),
                max_failures=config["LOGIN_MAX_FAILURES"],
                lockout=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
                address_failures=config["LOGIN_ADDRESS_MAX_FAILURES"],
                address_window=timedelta(minutes=config["LOGIN_ADDRESS_WINDOW_MINUTES"]),
            )
        except accounts.TooManyAttempts as exc:
            error, status = str(exc), 429
        except accounts.BadCredentials as exc:
            db.session.commit()  # keep the failure for rate limiting
            error, status = str(exc), 401
        else:
            sessions.start_session(db.session, user, now=clock.now())
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end_session(db.session, current_user.session_token)
    db.session.commit()
    logout_user()
    session.pop("org_id", None)
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
