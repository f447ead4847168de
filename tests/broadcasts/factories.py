"""Factories for broadcast tests: plain functions (house style)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Broadcast, Lead, Organization, OutboxMessage, Segment, SegmentMember
from webapp.services.broadcasts import create_broadcast

NEWSLETTER = {
    "name": "November news",
    "channel": "email",
    "subject": "News for you, {{firstName|friend}}",
    "body": "Hi {{firstName|there}},\n\nOur winter menu is out: https://alicebakes.example/menu",
    "segment_id": None,
    "conversion_days": 7,
    "conversion_event": "",
}


def make_contacts(
    org: Organization, count: int, *, now: datetime = START, start: int = 0
) -> list[int]:
    """`count` subscribed contacts with an email each, inserted in one statement."""
    org_id = org.id
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            insert(Lead),
            [
                {
                    "org_id": org_id,
                    "full_name": f"Contact {i}",
                    "email": f"contact{i}@example.com",
                    "company": "",
                    "source": "csv",
                    "status": "new",
                    "score": 0,
                    "score_reasons": [],
                    "notes": "",
                    "extra": {},
                    "search_text": f"contact {i}",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start, start + count)
            ],
        )
    return list(db.session.scalars(select(Lead.id).where(Lead.org_id == org_id).order_by(Lead.id)))[
        -count:
    ]


def make_segment(org: Organization, lead_ids: list[int], *, exited: list[int] = ()) -> Segment:
    """A segment whose stored membership is `lead_ids` (and `exited`, who left it)."""
    segment = Segment(
        org_id=org.id,
        name="Regulars",
        rules={},
        depends_on={},
        time_relative=False,
        member_count=len(lead_ids),
        created_at=START,
        updated_at=START,
    )
    db.session.add(segment)
    db.session.flush()
    for lead_id in lead_ids:
        db.session.add(
            SegmentMember(segment_id=segment.id, lead_id=lead_id, org_id=org.id, entered_at=START)
        )
    for lead_id in exited:
        db.session.add(
            SegmentMember(
                segment_id=segment.id,
                lead_id=lead_id,
                org_id=org.id,
                entered_at=START,
                exited_at=START,
            )
        )
    db.session.commit()
    return segment


def make_broadcast(org: Organization, **over: object) -> Broadcast:
    broadcast = create_broadcast(
        db.session, org.id, {**NEWSLETTER, **over}, actor_id=None, now=START
    )
    db.session.commit()
    return broadcast


def outbox_to() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(OutboxMessage.to)))
