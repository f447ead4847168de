"""The Job API's payloads (webapp/web/api/job_api.py) as pydantic models: one payload
model per kind the API may enqueue (`PAYLOADS`, the allow-list's shapes), the request,
and a job as the API shows it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from webapp.models import LEAD_STATUSES
from webapp.models.queue import STATUSES, QueuedJob
from webapp.services.api_jobs import API_KINDS
from webapp.web.api.explain import Explain
from webapp.web.api.schemas import IsoDateTime, one_of


class EmailSendPayload(BaseModel):
    """`email.send`: one plain-text email to one contact (who has an email and is subscribed)."""

    model_config = ConfigDict(extra="forbid")

    contact_id: Annotated[int, Strict(), Field(ge=1), Explain("must be a positive whole number")]
    subject: Annotated[
        str, Field(min_length=1, max_length=200), Explain("must be text of 1 to 200 characters")
    ]
    text: Annotated[
        str,
        Field(min_length=1, max_length=20_000),
        Explain("must be text of 1 to 20000 characters"),
    ] = Field(description="The message, plain text.")


class LeadsExportPayload(BaseModel):
    """`leads.export`: the workspace's leads as CSV (at most 50,000), optionally one status
    or source; download it from `GET /api/v1/jobs/{job_id}/download` once completed."""

    model_config = ConfigDict(extra="forbid")

    status: one_of(LEAD_STATUSES) | None = None  # type: ignore[valid-type]
    source: Annotated[str, Field(max_length=40), Explain("must be text")] | None = None


class WeeklyReportPayload(BaseModel):
    """`reporting.weekly`: build (or rebuild) the weekly report of one finished week — the
    last complete one by default — with its insights; the job's result holds the headline
    figures and the report's id. Owners are emailed by the Monday job, not by this one."""

    model_config = ConfigDict(extra="forbid")

    week_start: (
        Annotated[date, Explain("must be a date as YYYY-MM-DD, the Monday the week starts")] | None
    ) = Field(None, description="The Monday the week starts; default: the last complete week.")


PAYLOADS: dict[str, type[BaseModel]] = {
    "email.send": EmailSendPayload,
    "leads.export": LeadsExportPayload,
    "reporting.weekly": WeeklyReportPayload,
}
assert set(PAYLOADS) == set(API_KINDS), "every API kind has its payload model"


class JobRequest(BaseModel):
    kind: Literal[tuple(API_KINDS)] = Field(  # type: ignore[valid-type]
        description="The job kind: " + ", ".join(API_KINDS) + "."
    )
    payload: EmailSendPayload | LeadsExportPayload | WeeklyReportPayload = Field(
        description="The kind's payload (its model below)."
    )
    idempotency_key: str | None = Field(
        None,
        max_length=120,
        description="Your key for this job: a second request with it returns the first job.",
    )


class JobIdPath(BaseModel):
    job_id: int = Field(ge=1, description="A job of your workspace enqueued through this API.")


class ApiJob(BaseModel):
    id: int
    kind: str
    status: Literal[tuple(STATUSES)]  # type: ignore[valid-type]
    attempts: int
    max_attempts: int
    run_at: IsoDateTime
    created_at: IsoDateTime
    updated_at: IsoDateTime
    completed_at: IsoDateTime | None
    last_error: str | None
    error_class: str | None
    result: dict[str, Any] | None = Field(
        description="What the job did (an export's row count; the file is at `download`)."
    )
    download: str | None = Field(None, description="Where a completed export's CSV is.")

    @classmethod
    def of(cls, job: QueuedJob, download: str | None = None) -> ApiJob:
        result = {k: v for k, v in (job.result or {}).items() if k != "csv"} if job.result else None
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            run_at=job.run_at,
            created_at=job.created_at,
            updated_at=job.updated_at,
            completed_at=job.completed_at,
            last_error=job.last_error,
            error_class=job.error_class,
            result=result,
            download=download,
        )
