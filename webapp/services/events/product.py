"""The product's own happenings as events (source "product"), from the signals other areas
send: a lead captured (`lead.captured`), a form submitted (`form.submitted`, a new contact
or one who came back), an unsubscribe (`contact.unsubscribed`).

Opens, clicks and SMS/WhatsApp replies send no signal; messaging calls
`record_product_event` where they happen (tracking, inbound) with ids such as
`open:<send id>` and `sms:<message SID>`.

Each happening gets a message id derived from what happened, so one told twice is stored
once. `connect_product_events(app)` subscribes these receivers once per app (from the events blueprint).
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.services.events.recording import record_product_event


def connect_product_events(app: Flask) -> None:
    signals.lead_captured.connect(on_lead_captured, sender=app)
    signals.contact_changed.connect(on_contact_changed, sender=app)


def on_lead_captured(
    _sender: object,
    *,
    session: Session,
    org_id: int,
    lead_id: int,
    via: str,
    source: str,
    score: int,
    now: datetime,
    **_: object,
) -> None:
    props = {"via": via, "source": source, "score": score}
    record_product_event(
        session, org_id, lead_id, "lead.captured", props, message_id=f"lead:{lead_id}", now=now
    )
    if via == "form":
        _form_submitted(session, org_id, lead_id, {"new_contact": True, "source": source}, now)


def on_contact_changed(
    _sender: object,
    *,
    session: Session,
    org_id: int,
    lead_id: int,
    change: str,
    details: dict,
    now: datetime,
    **_: object,
) -> None:
    if change == "consent" and details.get("subscribed") is False:
        record_product_event(
            session,
            org_id,
            lead_id,
            "contact.unsubscribed",
            {"channel": details.get("channel")},
            message_id=f"unsubscribe:{lead_id}:{now.isoformat()}",
            now=now,
        )
    elif change == "merged" and details.get("via") == "form":
        props = {"new_contact": False, "filled_in": list(details.get("fields") or [])}
        _form_submitted(session, org_id, lead_id, props, now)


def _form_submitted(
    session: Session, org_id: int, lead_id: int, props: dict, now: datetime
) -> None:
    # One submission is one request at one instant: the time tells two submissions apart.
    record_product_event(
        session,
        org_id,
        lead_id,
        "form.submitted",
        props,
        message_id=f"form:{lead_id}:{now.isoformat()}",
        now=now,
    )
