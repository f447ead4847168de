"""The web layer: blueprints, sign-in wiring, error pages and the support read-only guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from importlib import import_module

from flask import Flask, abort, g, render_template, request
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from webapp.core import clock
from webapp.core.db import run_unit
from webapp.core.extensions import db, login_manager
from webapp.models import User
from webapp.services.accounts import sessions
from webapp.web import htmx as hx
from webapp.web.activity.items import activity_lines
from webapp.web.context import SAFE_METHODS, load_membership, nav_for
from webapp.web.nav import main_nav
from webapp.web.once import guarded, register_once

# Support may sign out, switch workspace and change their password; nothing else.
SUPPORT_ALLOWED_WRITES = frozenset({"auth.logout", "workspace.switch", "account.password"})

NAV = [
    ("dashboard.index", "Dashboard"),
    ("leads.index", "Leads"),
    ("segments.index", "Segments"),
    ("marketing.index", "Campaigns"),  # marketing campaigns; the budget lines are a tab
    ("assets.index", "Assets"),
    ("broadcasts.index", "Broadcasts"),
    ("reports.index", "Reports"),
    ("analytics.index", "Analytics"),
    ("automation.index", "Automation"),
    ("workflows.index", "Workflows"),
    ("coach.index", "Coach"),
    ("chat.inbox_page", "Chat"),
    ("activity.index", "Activity"),
    ("health.page", "Health"),
    ("workspace.settings", "Settings"),
]


# Every area's blueprint module (each exposes `bp`). The order is free: areas talk through
# signals (webapp/core/signals.py), connected when each blueprint is registered.
BLUEPRINTS = (
    "webapp.web.accounts.account",
    "webapp.web.accounts.auth",
    "webapp.web.accounts.workspace",
    "webapp.web.activity.views",
    "webapp.web.ops.operations",
    "webapp.web.analytics.views",
    "webapp.web.ads.views",
    "webapp.web.assets.views",
    "webapp.web.api.views",
    "webapp.web.autopilot.dashboard",
    "webapp.web.autopilot.views",
    "webapp.web.autopilot.campaigns",
    "webapp.web.broadcasts.views",
    "webapp.web.coach.views",
    "webapp.web.chat.views",
    "webapp.web.chat.widget",
    "webapp.web.connections.views",
    "webapp.web.connections.dkim",
    "webapp.web.events.views",
    "webapp.web.leads.views",
    "webapp.web.leads.public",
    "webapp.web.marketing.views",
    "webapp.web.messaging.sequences",
    "webapp.web.messaging.twilio_webhooks",
    "webapp.web.messaging.tracking",
    "webapp.web.messaging.confirm",
    "webapp.web.messaging.email_settings",
    "webapp.web.ops.health",
    "webapp.web.ops.scheduler",
    "webapp.web.pending.views",
    "webapp.web.provisioning.setup",
    "webapp.web.provisioning.stripe_webhook",
    "webapp.web.reporting.views",
    "webapp.web.segments.views",
    "webapp.web.workflows.views",
    "webapp.web.brand.views",
    "webapp.web.landing_pages.views",
    "webapp.web.landing_pages.public",
    "webapp.web.suppression.views",
)


ERROR_PAGES = (  # status, title, the message when the error carries none
    (400, "Bad request", "The request could not be understood."),
    (403, "Not allowed", "You don't have permission to do that."),
    (404, "Not found", "There is nothing here. It may have been removed."),
    (405, "Not allowed", "That action is not available here."),
    (500, "Something went wrong", "An unexpected error happened; it has been logged."),
)


def register_web(app: Flask) -> None:
    from webapp.web.filters import register_filters
    from webapp.web.input import register_input_rules

    register_filters(app)
    register_once(app)
    register_input_rules(app)  # before the blueprints: their `<int:…>` are bounded ids
    for module in BLUEPRINTS:
        app.register_blueprint(import_module(module).bp)
    for endpoint, view in app.view_functions.items():
        app.view_functions[endpoint] = _rerun_on_conflict(view)
    _register_login()
    _register_request_hooks(app)
    _register_error_pages(app)


def _register_login() -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        return sessions.session_user(db.session, session_token, now=clock.now())

    @login_manager.unauthorized_handler
    def unauthorized():
        return hx.unauthorized()


def _register_request_hooks(app: Flask) -> None:
    """The support guard before each request, the layout's context, and forgetting the
    request's membership after it."""

    @app.before_request
    def support_reads_only():
        if (
            request.method not in SAFE_METHODS
            and current_user.is_authenticated
            and current_user.is_support
            and request.endpoint not in SUPPORT_ALLOWED_WRITES
        ):
            abort(403, "Support accounts can look at everything but change nothing.")

    app.add_template_global(main_nav, "main_nav")
    app.add_template_global(activity_lines, "activity_lines")

    @app.context_processor
    def layout_context() -> dict:
        membership = load_membership() if current_user.is_authenticated else None
        nav = nav_for(NAV)
        return {
            "nav": nav,
            "membership": membership,
            "current_org": membership.org if membership else None,
            "workspaces": [m.org for m in current_user.memberships]
            if current_user.is_authenticated
            else [],
        }

    @app.teardown_request
    def forget_membership(_exc):
        g.pop("membership", None)


def _rerun_on_conflict(view: Callable) -> Callable:
    """The view as one unit of work: run again, taking the write lock at its first statement,
    if its reads went stale before its first write (SQLite; see webapp/core/db.py). The
    retry starts from the request as it came: uploads rewound, the first attempt's
    after-request callbacks dropped."""

    @wraps(view)
    def unit(*args, **kwargs):
        ctx = request_ctx._get_current_object()
        callbacks = len(ctx._after_request_functions)
        attempts = 0

        def attempt():
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                del ctx._after_request_functions[callbacks:]
                for upload in request.files.values():
                    upload.stream.seek(0)
            return guarded(lambda: view(*args, **kwargs))

        return run_unit(db.session, attempt)

    return unit


API_PREFIX = "/api/"
API_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def _error_page(status: int, title: str, default: str):
    def handler(error):
        if status == 500:
            # The error may have left the session's transaction failed (a database error
            # mid-flush): roll back, or the layout's own queries raise PendingRollbackError
            # and the error page itself crashes. A session that cannot even roll back (its
            # connection is gone) is dropped: the layout then starts from a fresh one.
            try:
                db.session.rollback()
            except Exception:
                db.session.remove()
        message = getattr(error, "description", None) or default
        if request.path.startswith(API_PREFIX):  # also when no API route matched the URL
            from webapp.web.api.auth import api_error

            return api_error(status, API_CODES.get(status, "server_error"), message)
        if hx.is_partial():
            return hx.partial("errors/_error.html", status=status, title=title, message=message)
        return render_template("errors/error.html", title=title, message=message), status

    return handler


def _register_error_pages(app: Flask) -> None:
    for status, title, default in ERROR_PAGES:
        app.register_error_handler(status, _error_page(status, title, default))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "Your form expired or came from elsewhere. Reload the page and try again."
        if hx.is_partial():
            return hx.partial(
                "errors/_error.html", status=400, title="Please reload", message=message
            )
        return render_template("errors/error.html", title="Please reload", message=message), 400
