"""What the bot says: an intent's responses in turn, filled with the workspace's facts only.

A response naming a fact the workspace has not written down is skipped; when every one of
an intent's responses is skipped the bot has no answer (and hands over) rather than make
one up.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import AutopilotConfig, BrandProfile, ChatIntent, ChatSettings, Organization

_FIELD = string.Formatter()
HANDOVER_LINE = "I've asked a person at {business} to take over; they'll reply here."
ESCALATED_LINE = "Thanks, a person at {business} has your message and will reply here."


@dataclass(frozen=True)
class Facts:
    business: str
    description: str
    phone: str
    website: str
    opening_hours: str
    pricing: str

    @property
    def contact(self) -> str:
        ways = [w for w in (self.phone, self.website) if w]
        return " or ".join(ways)

    def as_dict(self) -> dict[str, str]:
        return {**self.__dict__, "contact": self.contact}


def facts_of(session: Session, org_id: int) -> Facts:
    org = session.get(Organization, org_id)
    brand = session.scalars(select(BrandProfile).where(BrandProfile.org_id == org_id)).first()
    config = session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org_id)
    ).first()
    settings = session.scalars(select(ChatSettings).where(ChatSettings.org_id == org_id)).first()
    return Facts(
        business=(org.name if org else "") or "us",
        description=(config.business_description if config else "").strip(),
        phone=(brand.phone if brand else "").strip(),
        website=(brand.website if brand else "").strip(),
        opening_hours=(settings.opening_hours if settings else "").strip(),
        pricing=(settings.pricing if settings else "").strip(),
    )


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in _FIELD.parse(template) if name}


def render(template: str, facts: Facts) -> str | None:
    """The response with its facts filled in; None when it names a fact that is blank."""
    values = facts.as_dict()
    if any(not values.get(name) for name in placeholders(template)):
        return None
    return re.sub(r"\s+\n", "\n", template.format(**values)).strip()


def next_response(intent: ChatIntent, facts: Facts) -> str | None:
    """The intent's next response that can be said, in turn (the turn moves on). Flushes
    nothing: the caller's transaction carries `next_response`."""
    count = len(intent.responses)
    for step in range(count):
        index = (intent.next_response + step) % count
        text = render(intent.responses[index], facts)
        if text is not None:
            intent.next_response = (index + 1) % count
            return text
    return None


def line(template: str, facts: Facts) -> str:
    return template.format(**facts.as_dict())
