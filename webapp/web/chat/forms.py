"""The chat pages' forms (CSRF by FlaskForm; the service checks the values)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length

ACTION_LABELS = {
    "capture_lead": "Capture the visitor as a lead (when they leave an email or phone)",
    "lead_status": "Look up the lead's status",
    "callback": "Book a call-back request",
    "start_workflow": "Start a workflow for the lead",
    "handover": "Hand over to a person",
}


class IntentForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 60, "placeholder": "opening_hours"})
    description = StringField("What it is for", render_kw={"maxlength": 200})
    training_phrases = TextAreaField(
        "Training phrases (one per line)", render_kw={"rows": 8, "maxlength": 20000}
    )
    responses = TextAreaField(
        "Responses (one per line, given in turn)", render_kw={"rows": 4, "maxlength": 8000}
    )
    actions = SelectMultipleField(
        "Actions",
        choices=list(ACTION_LABELS.items()),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False,  # the service names an unknown action
    )
    workflow_id = SelectField("Workflow to start", coerce=int, validate_choice=False)

    def values(self) -> dict:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "training_phrases": self.training_phrases.data or "",
            "responses": self.responses.data or "",
            "actions": list(self.actions.data or []),
            "workflow_id": self.workflow_id.data or None,
        }


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[Length(max=1600)], render_kw={"rows": 3})


class ChatSettingsForm(FlaskForm):
    web_enabled = BooleanField("Website chat widget on")
    sms_enabled = BooleanField("Answer SMS messages")
    whatsapp_enabled = BooleanField("Answer WhatsApp messages")
    widget_title = StringField(
        "Widget title", validators=[Length(min=1, max=60)], render_kw={"maxlength": 60}
    )
    opening_hours = TextAreaField(
        "Opening hours (the bot quotes this)",
        validators=[Length(max=1000)],
        render_kw={"rows": 2, "placeholder": "Mon-Fri 9:00-17:30, Sat 10:00-14:00"},
    )
    pricing = TextAreaField(
        "Prices (the bot quotes this)",
        validators=[Length(max=2000)],
        render_kw={"rows": 2, "placeholder": "Haircut £25, colour from £60"},
    )
