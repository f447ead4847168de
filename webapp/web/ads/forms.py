"""Linking a channel campaign to an ad platform campaign: choose one, or create a paused one."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, RadioField, StringField
from wtforms.validators import InputRequired, Length, NumberRange


class ChooseForm(FlaskForm):
    platform_campaign = RadioField(
        "Campaign on the platform",
        choices=[],
        validators=[InputRequired("Choose the campaign to link.")],
        validate_choice=True,
    )


class CreateForm(FlaskForm):
    name = StringField(
        "Name of the new campaign",
        validators=[InputRequired("Enter a name for the new campaign."), Length(max=200)],
    )
    daily_budget = DecimalField(
        "Daily budget",
        places=2,
        validators=[
            InputRequired("Enter the daily budget, e.g. 10.00."),
            NumberRange(Decimal("1.00"), Decimal("100000"), "Enter at least 1.00 a day."),
        ],
    )
