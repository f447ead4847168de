"""The marketing campaign API's payloads as pydantic models (webapp/web/marketing/api.py):
what arrives is validated by the same models the OpenAPI document shows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from webapp.models import CHANNELS, MarketingCampaign
from webapp.models.marketing import CAMPAIGN_STATUSES, CAMPAIGN_TYPES
from webapp.services.marketing import allowed_next
from webapp.services.prediction import CampaignPrediction
from webapp.web.api.explain import Explain
from webapp.web.api.schemas import IsoDateTime, RowId, one_of, whole_number

ADate = Annotated[date | None, Explain("must be a date as YYYY-MM-DD")]


class CampaignInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, Field(min_length=1, max_length=120), Explain("must be text of 1 to 120 characters")
    ]
    type: one_of(CAMPAIGN_TYPES)  # type: ignore[valid-type]
    objective: Annotated[
        str,
        Field(min_length=1, max_length=2000),
        Explain("must be text of 1 to 2000 characters"),
    ] = Field(description="What the campaign should achieve, in the owner's words.")
    offer: Annotated[
        str, Field(max_length=300), Explain("must be text of at most 300 characters")
    ] = ""
    starts_on: ADate = Field(None, description="In the workspace's time zone.")
    ends_on: ADate = Field(None, description="In the workspace's time zone; on or after starts_on.")
    budget: Annotated[
        Decimal,
        Field(ge=0, le=10_000_000, allow_inf_nan=False),
        Explain("must be a number from 0 to 10000000"),
    ] = Field(Decimal("0"), description="For the whole campaign, in the workspace's currency.")
    channels: Annotated[
        list[one_of(CHANNELS)],  # type: ignore[valid-type]
        Field(max_length=len(CHANNELS)),
        Explain("must be a list of: " + ", ".join(CHANNELS)),
    ] = Field(default_factory=list)


class StatusInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: one_of(CAMPAIGN_STATUSES)  # type: ignore[valid-type]


class CampaignQuery(BaseModel):
    status: one_of((*CAMPAIGN_STATUSES, "all")) | None = Field(  # type: ignore[valid-type]
        None, description="Only this status; `all` includes archived (left out otherwise)."
    )
    type: one_of(CAMPAIGN_TYPES) | None = Field(None, description="Only this type.")  # type: ignore[valid-type]
    page: whole_number(1, 100_000) = 1
    per_page: whole_number(1, 100) = 20


class CampaignPath(BaseModel):
    marketing_campaign_id: RowId = Field(description="A marketing campaign of your workspace.")


class CampaignOut(BaseModel):
    id: int
    name: str
    type: str
    objective: str
    offer: str
    status: str
    allowed_next: list[str] = Field(description="The statuses it may move to from here.")
    starts_on: date | None
    ends_on: date | None
    budget: float
    channels: list[str]
    created_at: IsoDateTime
    updated_at: IsoDateTime
    started_at: IsoDateTime | None
    completed_at: IsoDateTime | None

    @classmethod
    def of(cls, c: MarketingCampaign) -> CampaignOut:
        return cls(
            id=c.id,
            name=c.name,
            type=c.type,
            objective=c.objective,
            offer=str((c.settings or {}).get("offer", "")),
            status=c.status,
            allowed_next=list(allowed_next(c.status)),
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            budget=float(c.budget or 0),
            channels=list(c.channels or []),
            created_at=c.created_at,
            updated_at=c.updated_at,
            started_at=c.started_at,
            completed_at=c.completed_at,
        )


class CampaignPage(BaseModel):
    campaigns: list[CampaignOut]
    page: int
    per_page: int
    total: int
    has_next: bool


class Interval(BaseModel):
    low: int = Field(description="10th percentile.")
    median: int
    high: int = Field(description="90th percentile.")


class ChannelForecast(BaseModel):
    channel: str
    budget: float
    reach: Interval = Field(description="Impressions: times the ads are shown.")
    clicks: Interval
    conversions: Interval
    confidence: str = Field(description="benchmarks | low | medium | high")
    explanation: str
    history_periods: int = Field(description="Months of the workspace's own results used.")
    benchmark_source: str


class PredictionOut(BaseModel):
    campaign_id: int
    budget: float
    channels: list[ChannelForecast]
    not_predicted: list[str] = Field(description="Planned channels a budget does not buy reach on.")
    note: str

    @classmethod
    def of(cls, campaign_id: int, p: CampaignPrediction) -> PredictionOut:
        return cls(
            campaign_id=campaign_id,
            budget=float(p.budget),
            channels=[
                ChannelForecast(
                    channel=c.channel,
                    budget=float(c.budget),
                    reach=Interval(**vars(c.forecast.reach)),
                    clicks=Interval(**vars(c.forecast.clicks)),
                    conversions=Interval(**vars(c.forecast.conversions)),
                    confidence=c.confidence,
                    explanation=c.explanation,
                    history_periods=c.forecast.periods,
                    benchmark_source=c.source,
                )
                for c in p.channels
            ],
            not_predicted=p.not_predicted,
            note=p.note,
        )


class QueuedAsset(BaseModel):
    id: int
    type: str = Field(
        description="email_sequence, social_post, ad_creative, video_script, voice_ad or image."
    )
    name: str


class GeneratedAssets(BaseModel):
    campaign_id: int
    queued: list[QueuedAsset] = Field(
        description="The assets queued now (written right after this answer); those the "
        "campaign had already are not queued again. Read them on the Assets page."
    )
