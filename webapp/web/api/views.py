"""JSON API v1: the blueprint, its error answers, and the cron-friendly job endpoints.

Other areas add their endpoints to `bp` from their own modules (see webapp/web/api/).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from webapp import clock
from webapp.extensions import csrf, db
from webapp.services import scheduler as scheduler_service
from webapp.web.api.auth import api_error, service_token_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _jobs():  # noqa: ANN202
    return current_app.extensions.get("jobs")


@bp.errorhandler(404)
def not_found(_error):  # noqa: ANN001, ANN201
    return api_error(404, "not_found", "No such resource.")


@bp.errorhandler(405)
def not_allowed(_error):  # noqa: ANN001, ANN201
    return api_error(405, "method_not_allowed", "This method is not allowed here.")


@bp.get("/jobs")
@service_token_required
def list_jobs():  # noqa: ANN201
    service = _jobs()
    now = clock.now()
    last = scheduler_service.last_runs(db.session, list(service.specs), None)
    return jsonify(
        {
            "jobs": [
                {
                    "name": name,
                    "schedule": service.describe(name),
                    "next_run": service.next_run(name, now).isoformat(),
                    "last_run": _run_json(last.get(name)),
                }
                for name in service.specs
            ]
        }
    )


@bp.post("/jobs/<job_name>/run")
@service_token_required
def run_job(job_name: str):  # noqa: ANN201
    """Run a job now and wait for it (for an external cron). 409 when another run holds it."""
    service = _jobs()
    if job_name not in service.specs:
        return api_error(404, "unknown_job", f"No job named {job_name!r}.")
    db.session.commit()  # hold no transaction while the job runs
    outcome = service.run(job_name, trigger="http")
    status = {"succeeded": 200, "failed": 500, "locked": 409, "already_ran": 409}[outcome.status]
    return jsonify({"job": job_name, "status": outcome.status, "run_id": outcome.run_id, "message": outcome.message}), status


def _run_json(run) -> dict | None:  # noqa: ANN001
    if run is None:
        return None
    return {
        "id": run.id, "status": run.status, "trigger": run.trigger, "period": run.period,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_ms": run.duration_ms, "summary": run.summary, "error": run.error,
    }


from webapp.web.api import automation as _automation  # noqa: E402, F401  (/api/v1/campaigns/<id>/automation, /api/v1/automation/*)
from webapp.web.api import leads as _leads  # noqa: E402, F401  (GET/POST /api/v1/leads)
from webapp.web.api import metrics as _metrics  # noqa: E402, F401  (POST /api/v1/metrics)
from webapp.web.api import openapi as _openapi  # noqa: E402, F401  (GET /api/v1/openapi.json)
