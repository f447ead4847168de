"""The sequence automation API's payloads (webapp/web/api/automation.py) as pydantic models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, RootModel, Strict, model_validator

from webapp.services.messaging import (
    job_status,
    step_jobs,
    triggering,
)
from webapp.web.api.explain import Explain
from webapp.web.api.schemas import IsoDateTime, RowId, TrueOrFalse, one_of, whole_number

ACTIONS = ("trigger_new_client", "process_sequence", "send_immediate")
MAX_CONTACTS = 1000
NEEDS_IDS = "send_immediate needs a non-empty list of contact ids"

ContactIds = Annotated[
    list[Annotated[RowId, Strict()]],
    Field(min_length=1, max_length=MAX_CONTACTS),
    Explain(
        "every contact id must be a positive whole number",
        {
            "list_type": NEEDS_IDS,
            "too_short": NEEDS_IDS,
            "too_long": f"send at most {MAX_CONTACTS} contact ids per request",
        },
    ),
]


class CampaignPath(BaseModel):
    campaign_id: RowId = Field(description="A sequence campaign of your workspace.")


class AutomationAction(BaseModel):
    action: one_of(ACTIONS) = Field(  # type: ignore[valid-type]
        description="Enrol new contacts; send what is due; or enrol the given contacts and "
        "send step 1 now."
    )
    testMode: TrueOrFalse = Field(
        False, description="Run the whole flow but record messages as tests; nothing is sent."
    )
    contactIds: ContactIds | None = Field(
        None, description="For send_immediate: the contacts (leads) to send to."
    )

    @model_validator(mode="before")
    @classmethod
    def _ids_for_send_immediate(cls, data: Any) -> Any:
        """Only send_immediate reads contactIds (and needs them); other actions ignore them."""
        if not isinstance(data, dict):
            return data
        if data.get("action") == "send_immediate":
            return {**data, "contactIds": data.get("contactIds") or []}
        return {k: v for k, v in data.items() if k != "contactIds"}


class TestModeOnly(BaseModel):
    testMode: TrueOrFalse = False


class AutomationQuery(BaseModel):
    action: Annotated[Literal["status", "jobs"], Explain("must be status or jobs")] = Field(
        "status", description="What to return."
    )
    status: one_of(job_status.STATUS_FILTERS) | None = Field(  # type: ignore[valid-type]
        None, description="jobs: only this state."
    )
    page: whole_number(1, 1_000_000) = Field(1, description="jobs: page number.")
    per_page: whole_number(1, 200) = Field(25, description="jobs: rows per page.")


# --- answers -----------------------------------------------------------------------------


class TriggerResult(BaseModel):
    enrolled: int
    skipped: int
    details: list[str]

    @classmethod
    def fields_of(cls, result: triggering.TriggerResult) -> dict:
        return {"enrolled": result.enrolled, "skipped": result.skipped, "details": result.details}


class ProcessResult(BaseModel):
    sent: int
    failed: int
    retried: int
    cancelled: int
    deferred: int = Field(description="Put back for later by pacing or an open circuit.")
    details: list[str]

    @classmethod
    def fields_of(cls, result: step_jobs.ProcessResult) -> dict:
        return {name: getattr(result, name) for name in cls.model_fields}


class ActionHeader(BaseModel):
    action: str
    testMode: bool
    campaign_id: int


class CampaignTriggered(ActionHeader, TriggerResult):
    pass


class CampaignProcessed(ActionHeader, ProcessResult):
    pass


class CampaignActionDone(RootModel[CampaignTriggered | CampaignProcessed]):
    """What the action did: enrolment counts, or sending counts."""


class AutomationStatus(BaseModel):
    total: int
    pending: int
    processing: int
    completed: int
    failed: int
    cancelled: int
    test: int
    due_now: int
    success_rate: float | None = Field(description="completed ÷ (completed + failed).")
    per_minute: float | None = Field(description="Pacing of the channel; null when unpaced.")
    backlog_eta_seconds: int | None
    next_due_at: IsoDateTime | None

    @classmethod
    def of(cls, status: job_status.AutomationStatus) -> AutomationStatus:
        eta = status.backlog_eta
        return cls(
            **{name: getattr(status, name) for name in cls.model_fields if hasattr(status, name)},
            backlog_eta_seconds=int(eta.total_seconds()) if eta is not None else None,
        )


class Job(BaseModel):
    job_id: int | None
    send_id: int
    contact_id: int
    contact_name: str
    step: int
    channel: Literal["email", "sms", "whatsapp"]
    to: str
    due_at: IsoDateTime
    sent_at: IsoDateTime | None
    status: Literal[job_status.STATUS_FILTERS]  # type: ignore[valid-type]
    attempts: int
    error: str | None
    error_class: str | None
    test_mode: bool
    held: str | None = None  # why a pending message waits (the contact's night, WhatsApp's window)

    @classmethod
    def of(cls, row: job_status.JobRow) -> Job:
        return cls(
            **{name: getattr(row, name) for name in cls.model_fields if name != "step"},
            step=row.step_position,
        )


class CampaignStatus(BaseModel):
    campaign_id: int
    name: str
    status: str
    automation: AutomationStatus


class CampaignJobs(BaseModel):
    campaign_id: int
    jobs: list[Job]
    page: int
    per_page: int
    has_next: bool


class CampaignAutomationState(RootModel[CampaignStatus | CampaignJobs]):
    """action=status: the counts and rates; action=jobs: a page of recent jobs."""


class CronTriggered(TriggerResult):
    action: Literal["trigger_new_clients"]
    testMode: bool


class CronProcessed(ProcessResult):
    action: Literal["process_pending"]
    due_left: int = Field(
        description="Still due after this call; call again or let the job send them."
    )


class QueueSummary(BaseModel):
    jobs: dict[str, int] = Field(description="Sequence jobs per state, and total.")
    due_now: int
    active_sequences: int
    active_enrollments: int
    oldest_pending_due: IsoDateTime | None
