"""The web layer: blueprints, sign-in wiring, error pages and the support read-only guard."""

from __future__ import annotations

from flask import Flask, abort, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from webapp.db_setup import begin_write
from webapp.extensions import db, login_manager
from webapp.models import User
from webapp.web import htmx as hx
from webapp.web.context import SAFE_METHODS, load_membership

# Support may sign out and switch workspace; every other change is refused.
SUPPORT_ALLOWED_WRITES = frozenset({"auth.logout", "workspace.switch"})

NAV = [
    ("dashboard.index", "Dashboard"),
    ("leads.index", "Leads"),
    ("campaigns.index", "Campaigns"),
    ("reports.index", "Reports"),
    ("automation.index", "Automation"),
    ("coach.index", "Coach"),
    ("activity.index", "Activity"),
    ("health.page", "Health"),
    ("workspace.settings", "Settings"),
]


def register_web(app: Flask) -> None:
    from webapp.web.activity.views import bp as activity_bp
    from webapp.web.api.views import bp as api_bp
    from webapp.web.auth.views import bp as auth_bp
    from webapp.web.autopilot.views import bp as autopilot_bp
    from webapp.web.dashboard.views import bp as dashboard_bp
    from webapp.web.filters import register_filters
    from webapp.web.health.views import bp as health_bp
    from webapp.web.pending.views import bp as pending_bp
    from webapp.web.reports.views import bp as reports_bp
    from webapp.web.scheduler.views import bp as scheduler_bp
    from webapp.web.workspace.views import bp as workspace_bp

    register_filters(app)
    for bp in (auth_bp, dashboard_bp, activity_bp, scheduler_bp, health_bp, workspace_bp, pending_bp, api_bp, autopilot_bp):
        app.register_blueprint(bp)
    from webapp.web.campaigns.views import bp as campaigns_bp

    app.register_blueprint(campaigns_bp)
    app.register_blueprint(reports_bp)  # after campaigns: its demo hook reports on their results
    from webapp.web.leads.public import bp as lead_form_bp
    from webapp.web.leads.views import bp as leads_bp

    app.register_blueprint(leads_bp)
    app.register_blueprint(lead_form_bp)
    from webapp.web.automation.views import bp as automation_bp

    app.register_blueprint(automation_bp)
    from webapp.web.coach.views import bp as coach_bp

    app.register_blueprint(coach_bp)
    from webapp.web.webhooks.views import bp as webhooks_bp

    app.register_blueprint(webhooks_bp)
    from webapp.web.track.views import bp as track_bp

    app.register_blueprint(track_bp)
    from webapp.web.integrations.views import bp as integrations_bp

    app.register_blueprint(integrations_bp)
    from webapp.web.billing.views import bp as billing_bp
    from webapp.web.setup.views import bp as setup_bp

    app.register_blueprint(setup_bp)  # also hooks setup into the wizard's activation
    app.register_blueprint(billing_bp)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @login_manager.unauthorized_handler
    def unauthorized():  # noqa: ANN202
        return hx.unauthorized()

    @app.before_request
    def writes_take_the_write_lock():  # noqa: ANN202
        # A request that changes something reads first; on SQLite it must hold the write
        # lock from its first statement (see webapp/db_setup.py).
        if request.method not in SAFE_METHODS:
            begin_write(db.session)

    @app.before_request
    def support_reads_only():  # noqa: ANN202
        if (
            request.method not in SAFE_METHODS
            and current_user.is_authenticated
            and current_user.is_support
            and request.endpoint not in SUPPORT_ALLOWED_WRITES
        ):
            abort(403, "Support accounts can look at everything but change nothing.")

    @app.context_processor
    def layout_context() -> dict:
        membership = load_membership() if current_user.is_authenticated else None
        return {
            "nav": NAV,
            "membership": membership,
            "current_org": membership.org if membership else None,
            "workspaces": [m.org for m in current_user.memberships] if current_user.is_authenticated else [],
        }

    def error_page(status: int, title: str, default: str):  # noqa: ANN202
        def handler(error):  # noqa: ANN001, ANN202
            message = getattr(error, "description", None) or default
            if hx.is_partial():
                return hx.partial("errors/_error.html", status=status, title=title, message=message)
            return render_template("errors/error.html", title=title, message=message), status

        return handler

    app.register_error_handler(400, error_page(400, "Bad request", "The request could not be understood."))
    app.register_error_handler(403, error_page(403, "Not allowed", "You don't have permission to do that."))
    app.register_error_handler(404, error_page(404, "Not found", "There is nothing here. It may have been removed."))
    app.register_error_handler(405, error_page(405, "Not allowed", "That action is not available here."))
    app.register_error_handler(500, error_page(500, "Something went wrong", "An unexpected error happened; it has been logged."))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # noqa: ANN202
        message = "Your form expired or came from elsewhere. Reload the page and try again."
        if hx.is_partial():
            return hx.partial("errors/_error.html", status=400, title="Please reload", message=message)
        return render_template("errors/error.html", title="Please reload", message=message), 400

    @app.teardown_request
    def forget_membership(_exc):  # noqa: ANN001, ANN202
        g.pop("membership", None)
