"""Forms of the marketing campaign pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.models import CHANNELS
from webapp.services.autopilot import channel_label
from webapp.services.marketing import TYPE_LABELS


class CampaignForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Give the campaign a name."), Length(max=120)],
        render_kw={"placeholder": "Spring open day"},
    )
    type = SelectField("Type", choices=list(TYPE_LABELS.items()))
    objective = TextAreaField(
        "Objective, in your words",
        validators=[
            DataRequired("Say in a sentence what the campaign should achieve."),
            Length(max=2000),
        ],
        render_kw={"rows": 3, "placeholder": "Fill the 20 places of our Saturday workshop"},
    )
    offer = StringField(
        "Offer (optional)",
        validators=[Optional(), Length(max=300)],
        render_kw={"placeholder": "10 % off the first order"},
    )
    starts_on = DateField("Starts on", validators=[Optional()])
    ends_on = DateField("Ends on", validators=[Optional()])
    budget = DecimalField(
        "Budget for the whole campaign ($)",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message="Give 0 or more.")],
    )
    channels = SelectMultipleField(
        "Channels",
        choices=[(c, channel_label(c)) for c in CHANNELS],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def fields(self) -> dict:
        return {
            "name": self.name.data,
            "type": self.type.data,
            "objective": self.objective.data,
            "offer": self.offer.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "budget": self.budget.data,
            "channels": list(self.channels.data or []),
        }


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class LinkForm(FlaskForm):
    campaign_id = SelectField("Autopilot budget line", coerce=int, choices=[])
