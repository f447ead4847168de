"""Leads (the contacts of a workspace), their timeline, and per-workspace API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

LEAD_STATUSES = ("new", "contacted", "qualified", "won", "lost")

# Search indexes that migrations 0004 and 0046 build by hand for one dialect, which
# SQLAlchemy cannot model: SQLite's FTS5 trigram table over `leads.search_text` (with its
# shadow tables and triggers), PostgreSQL's pg_trgm GIN index, and the walk index each
# dialect builds its own way. Autogenerate and the schema test skip them.
LEAD_SEARCH_FTS = "lead_search"
LEAD_SEARCH_TRGM = "ix_leads_search_trgm"
LEAD_SEARCH_WALK = "ix_leads_search_walk"
UNMODELLED_SEARCH_OBJECTS = frozenset(
    {LEAD_SEARCH_FTS}
    | {f"{LEAD_SEARCH_FTS}_{shadow}" for shadow in ("data", "idx", "docsize", "config", "content")}
    | {LEAD_SEARCH_TRGM, LEAD_SEARCH_WALK}
)
db.metadata.info.setdefault("unmodelled", set()).update(UNMODELLED_SEARCH_OBJECTS)


class Lead(db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_org_created", "org_id", "created_at", "id"),
        Index("ix_leads_org_status_created", "org_id", "status", "created_at"),
        Index("ix_leads_org_score", "org_id", "score"),
        Index("ix_leads_org_email", "org_id", "email"),
        Index("ix_leads_org_phone", "org_id", "phone"),
        Index("ix_leads_org_source", "org_id", "source"),
        Index("ix_leads_org_name", "org_id", "full_name", "id"),  # the inbox's "by name" sort
        # Every filter of the inbox in one index, so counting a filtered view reads no rows.
        Index("ix_leads_org_filters", "org_id", "status", "source", "score", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))  # lower-cased
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    company: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(
        String(40), default="manual"
    )  # form | api | csv | manual | …
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    score: Mapped[int] = mapped_column(default=0)
    score_reasons: Mapped[list] = mapped_column(JSON, default=list)
    timezone: Mapped[str | None] = mapped_column(String(64))  # the contact's own, when known
    notes: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    # Lower-cased "name email company phone" for substring search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Double opt-in of a form lead's email: None (not asked: imported, API, by hand),
    # "pending" (the confirmation mail is out; no other email goes) or "confirmed".
    optin_state: Mapped[str | None] = mapped_column(String(16))
    optin_form: Mapped[str | None] = mapped_column(String(200))  # the form it came from
    optin_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    optin_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0] if self.full_name.strip() else ""

    @property
    def display_name(self) -> str:
        return display_name(self.full_name, self.email, self.phone, self.id)


def display_name(full_name: str | None, email: str | None, phone: str | None, lead_id: int) -> str:
    """What to call a lead on a page: the name, else the email, else the phone."""
    return full_name or email or phone or f"Lead {lead_id}"


class LeadEvent(db.Model):
    """One entry on a lead's timeline (arrived, merged, status changed, message sent …)."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_lead_at", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKey(db.Model):
    """A workspace's key for the JSON API; only a hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
