"""Marketing assets (emails, posts, ads, scripts, voice, images) made for a campaign or on
their own, the link from each generation to its priced AiCall row, and prompt templates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

ASSET_TYPES = (
    "email_sequence",
    "social_post",
    "ad_creative",
    "video_script",
    "voice_ad",
    "image",
)
ASSET_STATUSES = ("draft", "approved")
# Where a generation stands: queued → running → done | failed.
GENERATION_STATES = ("queued", "running", "done", "failed")


class Asset(db.Model):
    """One asset with up to three variations (`content["variations"]`); `chosen` is the
    variation in use. Audio (WAV/MP3) and PNG bytes live in `file`, the chosen one's."""

    __tablename__ = "assets"
    __table_args__ = (
        Index("ix_assets_org_campaign", "org_id", "marketing_campaign_id"),
        Index("ix_assets_org_type_status", "org_id", "type", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    marketing_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaigns.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(24))  # one of ASSET_TYPES
    name: Mapped[str] = mapped_column(String(160), default="")
    # platform (social), network (ads), size (image), length in seconds (video, voice)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    content: Mapped[dict] = mapped_column(JSON, default=dict)  # {"variations": [...]}
    chosen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # ASSET_STATUSES
    state: Mapped[str] = mapped_column(String(16), default="queued")  # GENERATION_STATES
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0..100 while generating
    error: Mapped[str | None] = mapped_column(Text)
    file: Mapped[bytes | None] = mapped_column(LargeBinary)
    file_mime: Mapped[str | None] = mapped_column(String(40))
    sequence_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL")
    )  # the sequence an email asset became
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Generation(db.Model):
    """One generation of an asset or an API call: which writer, and the AiCall row that
    carries its tokens, cost and time (the one AI ledger the monthly budget reads)."""

    __tablename__ = "generations"
    __table_args__ = (Index("ix_generations_org_created", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    ai_call_id: Mapped[int | None] = mapped_column(ForeignKey("ai_calls.id", ondelete="SET NULL"))
    prompt_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("prompt_templates.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(24))  # generate | regenerate | variations | optimize
    provider: Mapped[str] = mapped_column(String(20))  # builtin | openai
    model: Mapped[str] = mapped_column(String(80))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal("0"))
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromptTemplate(db.Model):
    """A workspace's own prompt template (the built-in ones live in code,
    services/assets/prompts.py); `variables` are the names `body` may use."""

    __tablename__ = "prompt_templates"
    __table_args__ = (Index("uq_prompt_templates_org_name", "org_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40), default="custom")
    body: Mapped[str] = mapped_column(Text)
    variables: Mapped[list] = mapped_column(JSON, default=list)
    model: Mapped[str] = mapped_column(String(80), default="")
    temperature: Mapped[Decimal] = mapped_column(Numeric(3, 2), default=Decimal("0.70"))
    max_tokens: Mapped[int] = mapped_column(Integer, default=500)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
