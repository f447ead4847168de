"""The JSON API's payloads as pydantic models: errors, leads, campaign results and jobs.

Request models validate what arrives (webapp/web/api/validation.py); response models build
what leaves (`Model(...).model_dump(mode="json")`); both are the OpenAPI document's
schemas (webapp/web/api/spec.py). The sequence automation's models are in
automation_schemas.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    SkipValidation,
    Strict,
)

from webapp.core.tenancy import MAX_ID
from webapp.models import LEAD_STATUSES, JobRun, Lead
from webapp.services.leads import search as lead_search
from webapp.services.reporting.ad_values import FIELDS as METRIC_FIELDS
from webapp.web.api.explain import Explain

MAX_METRIC_ROWS = 5_000


def _iso(value: datetime) -> str:
    return value.isoformat()


# A moment as ISO 8601 with its offset ("2026-11-23T10:00:00+00:00"), as the API always wrote.
IsoDateTime = Annotated[datetime, PlainSerializer(_iso, return_type=str)]


def whole_number(low: int, high: int) -> Any:
    """An integer from `low` to `high` (a query value may be its digits)."""
    return Annotated[
        int,
        Field(ge=low, le=high),
        Explain(f"must be between {low} and {high}", {"int_parsing": "must be a whole number"}),
    ]


def one_of(values: tuple[str, ...] | Any) -> Any:
    return Annotated[Literal[tuple(values)], Explain(f"must be one of {', '.join(values)}")]


TrueOrFalse = Annotated[bool, Strict(), Explain("must be true or false")]

# An id of a row: a positive whole number no wider than an id column (webapp/core/tenancy.py).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- errors ------------------------------------------------------------------------------


class RowProblem(BaseModel):
    row: int = Field(description="0-based index of the row in the list sent.")
    field: str | None
    message: str


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    fields: dict[str, str] | None = Field(
        None, description="Per-field problems, when the input was at fault."
    )
    errors: list[RowProblem] | None = Field(
        None, description="Per-row problems (campaign results)."
    )
    limit: int | None = Field(None, description="Requests a minute this key may make (429).")
    window_seconds: int | None = Field(None, description="The limit's window (429).")


class ErrorBody(BaseModel):
    """The one error shape: {"error": {"code", "message", "fields"?}} with a 4xx/5xx status."""

    error: ErrorDetail


# --- leads -------------------------------------------------------------------------------


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def text(description: str | None = None, **schema: Any) -> Any:
    """An optional text field of a lead, with its description and JSON Schema extras."""
    extra = Field(description=description, json_schema_extra=schema or None)
    return Annotated[str | None, Explain("must be text"), extra]


class LeadInput(BaseModel):
    """Known fields below; any other field is kept on the lead as text (up to 30)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str | int | float | bool | None] = Field(init=False)

    name: text() = None
    first_name: text() = None
    last_name: text() = None
    email: text(format="email") = None
    phone: Annotated[
        str | int | None,
        Explain("must be text"),
        Field(description="Any format; stored as E.164."),
    ] = None
    company: text() = None
    source: text() = None
    timezone: text("IANA name, e.g. Europe/London.") = None
    country: text("ISO 3166 code, helps read local phone numbers.") = None
    campaign_id: Annotated[
        RowId | None,
        BeforeValidator(_blank_is_none),
        Explain(
            "campaign_id must be a number",
            {
                "greater_than_equal": "campaign_id must be the id of one of your campaigns",
                "less_than_equal": "campaign_id must be the id of one of your campaigns",
            },
        ),
    ] = None


class ScoreReason(BaseModel):
    points: int
    reason: str


class LeadOut(BaseModel):
    id: int
    name: str
    email: str | None
    phone: str | None
    company: str
    source: str
    status: Literal[LEAD_STATUSES]  # type: ignore[valid-type]
    score: int
    score_reasons: list[ScoreReason]
    timezone: str | None
    campaign_id: int | None
    fields: dict[str, str] = Field(description="The lead's other fields, as sent.")
    unsubscribed: bool
    created_at: IsoDateTime
    updated_at: IsoDateTime

    @classmethod
    def of(cls, lead: Lead) -> LeadOut:
        return cls(
            id=lead.id,
            name=lead.full_name,
            email=lead.email,
            phone=lead.phone,
            company=lead.company,
            source=lead.source,
            status=lead.status,
            score=lead.score,
            score_reasons=lead.score_reasons,
            timezone=lead.timezone,
            campaign_id=lead.campaign_id,
            fields={k: v for k, v in (lead.extra or {}).items() if not k.startswith("_")},
            unsubscribed=lead.unsubscribed_at is not None,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
        )


class LeadSaved(BaseModel):
    lead: LeadOut
    created: bool = Field(description="True: a new lead (201); false: merged (200).")


class LeadPage(BaseModel):
    leads: list[LeadOut]
    page: int
    per_page: int
    has_next: bool
    total: int
    total_is_lower_bound: bool


class LeadQuery(BaseModel):
    q: str | None = Field(None, description="Search in name, email, company and phone.")
    status: one_of(LEAD_STATUSES) | None = Field(None, description="Only this status.")
    source: str | None = Field(None, description="Only this source.")
    since: Annotated[date | None, Explain("must be a date as YYYY-MM-DD")] = Field(
        None, description="Created on or after (workspace's zone)."
    )
    until: Annotated[date | None, Explain("must be a date as YYYY-MM-DD")] = Field(
        None, description="Created on or before (workspace's zone)."
    )
    min_score: whole_number(0, 100) | None = Field(None, description="Minimum score.")
    sort: one_of(tuple(lead_search.SORTS)) = Field("newest", description="Order.")
    page: whole_number(1, 1_000_000) = Field(1, description="Page number.")
    per_page: whole_number(1, lead_search.MAX_PER_PAGE) = Field(50, description="Rows per page.")


# --- campaign results ----------------------------------------------------------------------

Count = Annotated[int, Field(ge=0)]
Amount = Annotated[Decimal, Field(ge=0, description='A number, or text such as "1,234.50".')]


class MetricRow(BaseModel):
    """One day of one campaign. The rows are checked one by one by the same rules as a CSV
    upload (webapp/services/reporting/ad_rows.py), which report each bad row."""

    date: date
    campaign: str | None = Field(None, description="Campaign name.")
    campaign_id: RowId | None = None
    impressions: Count = 0
    clicks: Count = 0
    spend: Amount = 0
    leads: Count = 0
    conversions: Count = 0
    revenue: Amount = 0


assert set(METRIC_FIELDS) <= set(MetricRow.model_fields), "MetricRow misses a metric field"

# The list is checked here (1 to 5,000 rows); each row by the import rules, hence no
# validation of its fields by pydantic.
MetricRows = Annotated[
    list[SkipValidation[MetricRow]], Field(min_length=1, max_length=MAX_METRIC_ROWS)
]


class MetricRowsObject(BaseModel):
    rows: MetricRows


class MetricsUpload(RootModel[MetricRows | MetricRowsObject]):
    """A list of rows, or {"rows": [...]}."""

    @property
    def items(self) -> list:
        return self.root.rows if isinstance(self.root, MetricRowsObject) else self.root


class MetricsSaved(BaseModel):
    saved: int
    days_created: int
    days_updated: int


# --- scheduled jobs ----------------------------------------------------------------------


class JobRunOut(BaseModel):
    id: int
    status: str
    trigger: str
    period: str
    started_at: IsoDateTime
    finished_at: IsoDateTime | None
    duration_ms: int | None
    summary: dict[str, Any]
    error: str | None

    @classmethod
    def of(cls, run: JobRun | None) -> JobRunOut | None:
        if run is None:
            return None
        return cls.model_validate(run, from_attributes=True)


class JobOut(BaseModel):
    name: str
    schedule: str
    next_run: IsoDateTime
    last_run: JobRunOut | None


class JobList(BaseModel):
    jobs: list[JobOut]


class JobPath(BaseModel):
    job_name: str = Field(description="A job name from GET /api/v1/jobs.")


class JobRunResult(BaseModel):
    job: str
    status: Literal["succeeded", "failed", "locked", "already_ran"]
    run_id: int | None
    message: str
