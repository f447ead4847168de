"""`autopilot demo`: what the demo workspace holds, in the order each part needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.models import Organization
from webapp.services.demo.campaigns import add_demo_campaigns
from webapp.services.demo.reports import add_demo_reports


def fill_demo_workspace(session: Session, org: Organization, now: datetime) -> None:
    """An active autopilot with its campaigns and 60 days of results, then the weekly
    reports on those results; then `demo_created`, so other areas add their own demo data
    on top. Idempotent, like each part. Flushes, never commits."""
    add_demo_campaigns(session, org, now)
    add_demo_reports(session, org, now)  # reports on the results the campaigns just got
    signals.send(signals.demo_created, session=session, org=org, now=now)
