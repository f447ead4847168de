"""The workspace setup page: the provisioning pipeline's progress, and "Re-run setup".

The page includes `setup/_progress.html`, which polls itself every 2 s while the run is
queued or running and stops when it ends. A request (wizard, Re-run setup, Stripe) is
committed first; the pipeline then runs right after the response has been sent, in the
same worker (`start_after_response`), so the page shows it moving. The 10-minute runner
handles retries and runs whose process died.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from flask import Blueprint, Flask, current_app, g, has_request_context, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy.orm import Session

from webapp.core import clock, signals
from webapp.core.extensions import db
from webapp.services.provisioning import pipeline as provisioning
from webapp.services.provisioning.steps import STEP_BY_KEY
from webapp.services.provisioning.summary import summarize
from webapp.web import htmx as hx
from webapp.web.after_response import run_after_response
from webapp.web.context import org_required, owner_required
from webapp.web.forms import ConfirmForm

log = logging.getLogger(__name__)

bp = Blueprint("setup", __name__)


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    signals.autopilot_activated.connect(provision_workspace, sender=state.app)


def provision_workspace(
    _app: Flask, *, session: Session, org_id: int, actor_id: int | None, now: datetime, **_: object
) -> None:
    """After the wizard switches the autopilot on: queue the setup, and in a request run it
    after the response (elsewhere the 10-minute runner picks it up)."""
    provisioning.request_provisioning(session, org_id, trigger="wizard", actor_id=actor_id, now=now)
    if has_request_context():
        start_after_response(org_id)


def start_after_response(org_id: int) -> None:
    """Run the workspace's pipeline once this response has been sent (the request committed).

    Off with PROVISIONING_RUN_AFTER_REQUEST=False; the 10-minute runner picks it up then.
    """
    if current_app.config.get("PROVISIONING_RUN_AFTER_REQUEST", True):
        run_after_response(
            f"workspace {org_id}: setup run",
            lambda app: provisioning.run_pipeline(
                app, org_id, owner=f"web:{uuid.uuid4().hex[:12]}"
            ),
        )


def _context() -> dict:
    run = provisioning.latest_runs(db.session, [g.org.id]).get(g.org.id)
    steps = provisioning.run_steps(db.session, run.id) if run else []
    return {
        "run": run,
        "steps": steps,
        "summary": summarize(
            steps, retrying=run is not None and provisioning.waiting_to_retry(run)
        ),
        "titles": {key: spec.title for key, spec in STEP_BY_KEY.items()},
        "polling": run is not None and run.status in ("queued", "running"),
        "retrying": run is not None and provisioning.waiting_to_retry(run),
        "integrations_url": url_for("integrations.index"),
        "is_owner": g.membership.role == "owner" and not current_user.is_support,
        "form": ConfirmForm(),
        "now": clock.now(),
    }


@bp.get("/setup")
@org_required
def index():
    return hx.page_or_partial("setup/index.html", "setup/_progress.html", **_context())


@bp.get("/setup/progress")
@org_required
def progress():
    return hx.partial("setup/_progress.html", **_context())


@bp.post("/setup/run")
@owner_required
def rerun():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return hx.partial("setup/_progress.html", status=400, **_context())
    provisioning.request_provisioning(
        db.session, g.org.id, trigger="rerun", actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    start_after_response(g.org.id)
    if hx.is_partial():
        return hx.partial("setup/_progress.html", **_context())
    return hx.redirect_to(url_for(".index"))
