"""A landing page's form: the public lead form's own path (rate limit, honeypot, capture
with the inbox's de-duplication), with the page's campaign as the lead's source."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import LandingPage, Lead, MarketingCampaign
from webapp.services.landing_pages.stats import count_submission
from webapp.services.leads import receive_form

FIELDS = ("full_name", "email", "phone", "message", "website")  # website: the honeypot


def source_for(session: Session, page: LandingPage) -> str:
    """The campaign's name as the inbox shows a source ("Spring offer" -> spring_offer)."""
    campaign = (
        session.get(MarketingCampaign, page.marketing_campaign_id)
        if page.marketing_campaign_id
        else None
    )
    return campaign.name if campaign else f"landing {page.slug}"


def submit_form(
    session: Session, page: LandingPage, form: dict, *, ip: str, now: datetime
) -> Lead | None:
    """Capture the visitor's submission; None when the honeypot caught it. Raises the lead
    form's RateLimited and LeadInvalid. Only the form's own fields are read, and the source
    is ours, so a visitor cannot file themselves under another campaign."""
    data = {name: str(form.get(name) or "") for name in FIELDS}
    data["source"] = source_for(session, page)
    data["landing_page"] = page.title
    received = receive_form(session, page.org_id, data, ip=ip, now=now, source="landing_page")
    if received is None:
        return None
    count_submission(session, page.id, now=now)
    return received.lead
