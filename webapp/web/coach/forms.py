"""The coach settings form (CSRF by FlaskForm; the service validates the values)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from webapp.services.coach.audience import SETTINGS_FIELDS
from webapp.services.coach.schedule import AUDIENCE_LABELS, FREQUENCIES
from webapp.services.coach.writer import LANGUAGES


class CoachSettingsForm(FlaskForm):
    enabled = BooleanField("Coach on: send follow-ups on schedule")
    audience = SelectField("Who the coach writes to", choices=list(AUDIENCE_LABELS.items()))
    goal = TextAreaField("Next step for the customer", render_kw={"rows": 2, "maxlength": 500})
    frequency = SelectField("How often", choices=list(FREQUENCIES.items()))
    window_start = StringField("From", render_kw={"type": "time"})
    window_end = StringField("Until", render_kw={"type": "time"})
    tone = StringField(
        "Tone", render_kw={"maxlength": 120, "placeholder": "friendly and encouraging"}
    )
    language = SelectField("Language", choices=list(LANGUAGES.items()))
    auto_reply = BooleanField(
        "Auto-reply: answer incoming WhatsApp messages with the conversation as context"
    )

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in SETTINGS_FIELDS}
