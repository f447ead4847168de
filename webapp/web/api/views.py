"""JSON API v1: the blueprint, its error answers, and the cron-friendly job endpoints.

Other areas add their endpoints to `bp` from their own modules (see webapp/web/api/).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.services.ops import job_history as scheduler_service
from webapp.web.api.auth import api_error, service_token_required
from webapp.web.api.schemas import JobList, JobOut, JobPath, JobRunOut, JobRunResult
from webapp.web.api.spec import Answer, operation
from webapp.web.input import NUL_MESSAGE, NulInField

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _jobs() -> Any:
    return current_app.extensions.get("jobs")


@bp.errorhandler(NulInField)
def nul_in_field(error: NulInField) -> tuple[Response, int]:
    return api_error(
        422,
        "invalid_input",
        "Some input is not valid; see `fields`.",
        fields={error.field: NUL_MESSAGE},
    )


@bp.errorhandler(404)
def not_found(_error: Exception) -> tuple[Response, int]:
    return api_error(404, "not_found", "No such resource.")


@bp.errorhandler(405)
def not_allowed(_error: Exception) -> tuple[Response, int]:
    return api_error(405, "method_not_allowed", "This method is not allowed here.")


@bp.get("/jobs")
@operation(
    "The scheduled jobs with their schedule, next and last run",
    operation_id="listJobs",
    answers={200: (JobList, "The jobs.")},
)
@service_token_required
def list_jobs() -> Response:
    service = _jobs()
    now = clock.now()
    last = scheduler_service.last_runs(db.session, list(service.specs), None)
    listing = JobList(
        jobs=[
            JobOut(
                name=name,
                schedule=service.describe(name),
                next_run=service.next_run(name, now),
                last_run=JobRunOut.of(last.get(name)),
            )
            for name in service.specs
        ]
    )
    return jsonify(listing.model_dump(mode="json"))


@bp.post("/jobs/<job_name>/run")
@operation(
    "Run a scheduled job now and wait for it",
    operation_id="runJob",
    path=JobPath,
    answers={
        200: (JobRunResult, "It ran."),
        409: Answer(JobRunResult, "Another run holds the job, or this period already ran."),
        500: Answer(JobRunResult, "The job failed."),
    },
    errors=(404,),
)
@service_token_required
def run_job(job_name: str) -> tuple[Response, int]:
    """Run a job now and wait for it (for an external cron). 409 when another run holds it."""
    service = _jobs()
    if job_name not in service.specs:
        return api_error(404, "unknown_job", f"No job named {job_name!r}.")
    db.session.commit()  # hold no transaction while the job runs
    outcome = service.run(job_name, trigger="http")
    status = {"succeeded": 200, "failed": 500, "locked": 409, "already_ran": 409}[outcome.status]
    result = JobRunResult(
        job=job_name, status=outcome.status, run_id=outcome.run_id, message=outcome.message
    )
    return jsonify(result.model_dump(mode="json")), status


from webapp.web.api import automation as _automation  # noqa: E402, F401  (/api/v1/campaigns/<id>/automation, /api/v1/automation/*)
from webapp.web.api import events as _events  # noqa: E402, F401  (POST /api/v1/events)
from webapp.web.api import job_api as _job_api  # noqa: E402, F401  (/api/v1/jobs, /api/v1/jobs/<id>)
from webapp.web.api import leads as _leads  # noqa: E402, F401  (GET/POST /api/v1/leads)
from webapp.web.api import metrics as _metrics  # noqa: E402, F401  (POST /api/v1/metrics)
from webapp.web.api import openapi as _openapi  # noqa: E402, F401  (GET /api/v1/openapi.json)
from webapp.web.assets import api as _assets_api  # noqa: E402, F401  (/api/v1/ai/*)
from webapp.web.marketing import api as _marketing  # noqa: E402, F401  (/api/v1/marketing/*)
