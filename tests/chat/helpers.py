"""Shared helpers of the chat tests: a workspace's chat switched on with its facts."""

from __future__ import annotations

from webapp.core.extensions import db
from webapp.models import BrandProfile, ChatSettings
from webapp.services.chat.intents import chat_settings

HOURS = "Mon-Fri 9:00-17:30, Sat 10:00-14:00"
PRICES = "Haircut £25, colour from £60"


def chat_on(org_id: int, now, *, sms: bool = False, whatsapp: bool = False) -> ChatSettings:
    settings = chat_settings(db.session, org_id, now=now)
    settings.opening_hours = HOURS
    settings.pricing = PRICES
    settings.sms_enabled = sms
    settings.whatsapp_enabled = whatsapp
    if db.session.query(BrandProfile).filter_by(org_id=org_id).first() is None:
        db.session.add(
            BrandProfile(org_id=org_id, phone="+44 20 7946 0018", website="", updated_at=now)
        )
    db.session.commit()
    return settings
