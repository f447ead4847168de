"""Factories for sequence tests: plain functions (house style), used by several test files."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Campaign, Lead, Organization, QueuedJob
from webapp.models.sequence import Enrollment, Send
from webapp.services.leads.capture import capture_lead
from webapp.services.messaging import sequence_lifecycle, sequences

ANY_TIME = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}
OFFICE_HOURS = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}
WELCOME = [
    {
        "channel": "email",
        "subject": "Welcome, {{firstName|there}}!",
        "body": "Hi {{firstName|there}},\n\nThanks for joining {{companyName}}. Our menu: https://alicebakes.example/menu",
        "delay_value": 0,
        "delay_unit": "minutes",
    },
    {
        "channel": "email",
        "subject": "How was it?",
        "body": "Hello again {{customerName}}.",
        "delay_value": 3,
        "delay_unit": "days",
    },
    {
        "channel": "sms",
        "subject": "",
        "body": "{{companyName}}: 10% off this week, {{firstName|friend}}!",
        "delay_value": 7,
        "delay_unit": "days",
    },
]

# News long enough to carry the open pixel: a short mail goes without it, as SpamAssassin
# scores a short HTML part with an image (messaging/tracking.py, PIXEL_MIN_HTML).
NEWS = "\n\n".join(
    f"News {n}: this week our bakers tried a new sourdough, a rye loaf and a seeded bun."
    for n in range(1, 41)
)
LONG_WELCOME = [dict(WELCOME[0], body=WELCOME[0]["body"] + "\n\n" + NEWS), *WELCOME[1:]]


def make_sequence(
    org: Organization,
    *,
    steps: list[dict] = WELCOME,
    schedule: dict = ANY_TIME,
    active: bool = True,
    name: str = "Welcome",
    activated: datetime = START - timedelta(hours=1),
) -> Campaign:
    campaign = sequences.create_sequence(
        db.session, org.id, name=name, schedule=schedule, actor_id=None, now=activated
    )
    for step in steps:
        sequences.add_step(db.session, campaign, **step, actor_id=None, now=activated)
    if active:
        sequence_lifecycle.activate_sequence(db.session, campaign, actor_id=None, now=activated)
    db.session.commit()
    return campaign


def make_contact(
    org: Organization, *, now: datetime = START - timedelta(minutes=5), **data: object
) -> Lead:
    data.setdefault(
        "email",
        f"contact{db.session.scalar(select(Lead.id).order_by(Lead.id.desc()).limit(1)) or 0}@example.com",
    )
    lead, _created = capture_lead(db.session, org.id, data, source="manual", now=now)
    db.session.commit()
    return lead


def sends_of(campaign: Campaign) -> list[Send]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Send).where(Send.campaign_id == campaign.id).order_by(Send.id))
    )


def enrollments_of(campaign: Campaign) -> list[Enrollment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Enrollment).where(Enrollment.campaign_id == campaign.id).order_by(Enrollment.id)
        )
    )


def job_of(send: Send) -> QueuedJob:
    db.session.expire_all()
    return db.session.get(QueuedJob, send.queued_job_id)
