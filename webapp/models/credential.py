"""A workspace's own credentials for an integration (SMTP, Twilio, OpenAI), encrypted.

`ciphertext` is a Fernet token of the JSON of the values (see webapp/services/connections/credentials.py);
`hint` holds only what may be shown back: masked secrets (••••) and plain settings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

PROVIDERS = (
    "smtp", "twilio", "openai", "google_ads", "meta_ads", "bounces", "email_hooks", "dkim"
)  # fmt: skip


class IntegrationCredential(db.Model):
    __tablename__ = "integration_credentials"
    __table_args__ = (UniqueConstraint("org_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(16))  # smtp | twilio | openai | bounces | …
    ciphertext: Mapped[str] = mapped_column(Text)
    hint: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
