"""JSON API v1. For now: the cron-friendly job endpoints, authenticated by the service token."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request

from webapp import clock
from webapp.extensions import csrf, db
from webapp.services import scheduler as scheduler_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _error(status: int, code: str, message: str):  # noqa: ANN202
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.before_request
def require_service_token():  # noqa: ANN202
    expected = current_app.config.get("SERVICE_TOKEN")
    if not expected:
        return _error(403, "service_token_not_configured", "Set SERVICE_TOKEN to use the job endpoints.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _error(401, "unauthorized", "Send `Authorization: Bearer <SERVICE_TOKEN>`.")
    return None


def _jobs():  # noqa: ANN202
    return current_app.extensions.get("jobs")


@bp.get("/jobs")
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
def run_job(job_name: str):  # noqa: ANN201
    """Run a job now and wait for it (for an external cron). 409 when another run holds it."""
    service = _jobs()
    if job_name not in service.specs:
        return _error(404, "unknown_job", f"No job named {job_name!r}.")
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
