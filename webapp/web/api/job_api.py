"""The Job API (workspace API key): enqueue a job of an allowed kind, read it, retry it when
it failed, cancel it while it waits, and download an export it made.

  POST   /api/v1/jobs                      {"kind", "payload", "idempotency_key"?}
  GET    /api/v1/jobs/<id>
  POST   /api/v1/jobs/<id>/retry           failed -> pending (409 otherwise)
  DELETE /api/v1/jobs/<id>                 pending -> cancelled (409 otherwise)
  GET    /api/v1/jobs/<id>/download        a completed `leads.export`'s CSV

Only the kinds of the allow-list exist here; another workspace's job, or one of the
engine's own kinds, is 404. A new or retried job runs right after the response; the
`api_jobs` scheduled job runs whatever is left, and the engine's retries.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, jsonify, request, url_for
from pydantic import ValidationError

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models.queue import QueuedJob
from webapp.services.api_jobs import (
    JobRefused,
    cancel_api_job,
    enqueue_api_job,
    export_csv_of,
    find_api_job,
    retry_api_job,
    run_api_jobs,
)
from webapp.web.after_response import run_after_response
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.job_schemas import PAYLOADS, ApiJob, JobIdPath, JobRequest
from webapp.web.api.schemas import ErrorBody
from webapp.web.api.spec import Answer, operation
from webapp.web.api.views import bp

RUN_SECONDS = 25  # the after-response run's budget; the scheduled job does the rest
JSON_REQUIRED = (
    'Send a JSON object such as {"kind": "leads.export", "payload": {}} with '
    "`Content-Type: application/json`."
)
INVALID = "The job is not valid; see `fields`."
NO_JOB = "No such job in your workspace."


def _json(job: QueuedJob, status: int = 200) -> tuple[Response, int]:
    download = None
    if export_csv_of(job) is not None:
        download = url_for("api.download_job_file", job_id=job.id)
    return jsonify(ApiJob.of(job, download).model_dump(mode="json")), status


def _run_now(job_id: int) -> None:
    def work(app: Flask) -> None:
        with app.app_context():
            run_api_jobs(
                db.engine,
                owner=f"api:{os.getpid()}",
                clock=clock.now,
                job_ids=[job_id],
                deadline=time.monotonic() + RUN_SECONDS,
            )

    run_after_response("API job", work)


def _problem(exc: ValidationError) -> dict[str, str]:
    error = exc.errors(include_url=False)[0]
    field = ".".join(["payload", *(str(part) for part in error["loc"])])
    messages = {"missing": "is required", "extra_forbidden": "is not a field of this kind"}
    return {field: messages.get(error["type"], error["msg"])}


@bp.post("/jobs")
@operation(
    "Enqueue a job (email.send, leads.export, reporting.weekly)",
    operation_id="enqueueJob",
    body=JobRequest,
    answers={
        201: (ApiJob, "Enqueued; it runs right away."),
        200: (ApiJob, "A job with this idempotency key exists: that job."),
    },
    errors=(400, 422),
)
@api_key_required
def enqueue_job() -> tuple[Response, int]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        return api_error(400, "json_required", JSON_REQUIRED)
    fields = {name: "is not a field of a job" for name in set(data) - set(JobRequest.model_fields)}
    kind, key = data.get("kind"), data.get("idempotency_key")
    if not isinstance(kind, str) or kind not in PAYLOADS:
        fields["kind"] = "must be one of " + ", ".join(sorted(PAYLOADS))
    if key is not None and not isinstance(key, str):
        fields["idempotency_key"] = "must be text"
    if fields:
        return api_error(422, "invalid_job", INVALID, fields=fields)
    try:
        payload = PAYLOADS[kind].model_validate(data.get("payload", {}))
    except ValidationError as exc:
        return api_error(422, "invalid_job", INVALID, fields=_problem(exc))
    try:
        job, created = enqueue_api_job(
            db.session,
            g.api_org_id,
            kind,
            payload.model_dump(mode="json", exclude_none=True),
            key=key,
            now=clock.now(),
        )
    except JobRefused as exc:
        db.session.rollback()
        return api_error(422, "job_refused", exc.message, fields={exc.field: exc.message})
    # Read before the commit: after it, reading the job would open a new transaction.
    answer, job_id = _json(job, 201 if created else 200), job.id
    db.session.commit()
    if created:
        _run_now(job_id)
    return answer


@bp.get("/jobs/<int:job_id>")
@operation(
    "A job of your workspace",
    operation_id="getJob",
    path=JobIdPath,
    answers={200: (ApiJob, "The job.")},
    errors=(404,),
)
@api_key_required
def get_job(job_id: int) -> tuple[Response, int]:
    job = find_api_job(db.session, g.api_org_id, job_id)
    if job is None:
        return api_error(404, "not_found", NO_JOB)
    return _json(job)


@bp.post("/jobs/<int:job_id>/retry")
@operation(
    "Retry a failed job",
    operation_id="retryJob",
    path=JobIdPath,
    answers={
        200: (ApiJob, "Pending again, with a fresh set of attempts; it runs right away."),
        409: Answer(ErrorBody, "The job has not failed."),
    },
    errors=(404,),
)
@api_key_required
def retry_job(job_id: int) -> tuple[Response, int]:
    return _change(job_id, "retry")


@bp.delete("/jobs/<int:job_id>")
@operation(
    "Cancel a pending job",
    operation_id="cancelJob",
    path=JobIdPath,
    answers={
        200: (ApiJob, "Cancelled."),
        409: Answer(ErrorBody, "The job is running or has finished."),
    },
    errors=(404,),
)
@api_key_required
def cancel_job(job_id: int) -> tuple[Response, int]:
    return _change(job_id, "cancel")


def _change(job_id: int, action: str) -> tuple[Response, int]:
    job = find_api_job(db.session, g.api_org_id, job_id)
    if job is None:
        return api_error(404, "not_found", NO_JOB)
    now = clock.now()
    if action == "retry":
        done = retry_api_job(db.session, g.api_org_id, job_id, now=now)
        refusal = ("not_failed", "Only a failed job can be retried; this one is {}.")
    else:
        done = cancel_api_job(db.session, g.api_org_id, job_id, now=now)
        refusal = ("not_pending", "Only a pending job can be cancelled; this one is {}.")
    if not done:
        db.session.rollback()
        status = find_api_job(db.session, g.api_org_id, job_id).status
        return api_error(409, refusal[0], refusal[1].format(status))
    db.session.refresh(job)
    answer = _json(job)
    db.session.commit()
    if action == "retry":
        _run_now(job_id)
    return answer


@bp.get("/jobs/<int:job_id>/download")
@operation(
    "The CSV a completed leads.export job made",
    operation_id="downloadJobFile",
    path=JobIdPath,
    answers={
        200: Answer(None, "The CSV file (text/csv)."),
        409: Answer(ErrorBody, "Not a completed export."),
    },
    errors=(404,),
)
@api_key_required
def download_job_file(job_id: int) -> Response | tuple[Response, int]:
    job = find_api_job(db.session, g.api_org_id, job_id)
    if job is None:
        return api_error(404, "not_found", NO_JOB)
    text = export_csv_of(job)
    if text is None:
        return api_error(
            409,
            "no_file",
            f"Only a completed export has a file; this job is {job.kind}, {job.status}.",
        )
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="leads-job-{job.id}.csv"',
            "Cache-Control": "no-store",
        },
    )
