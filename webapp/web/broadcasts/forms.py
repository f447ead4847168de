"""Forms of the broadcast pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp")]


class BroadcastForm(FlaskForm):
    name = StringField(
        "Name (only you see it)",
        validators=[DataRequired("Give the broadcast a name."), Length(max=120)],
    )
    channel = SelectField("Channel", choices=CHANNEL_CHOICES)
    segment_id = SelectField("Send to", coerce=int, choices=[(0, "All subscribed contacts")])
    subject = StringField("Subject (email)", validators=[Length(max=300)])
    body = TextAreaField(
        "Message",
        validators=[DataRequired("Write the message."), Length(max=20000)],
        render_kw={"rows": 8},
    )
    conversion_days = IntegerField(
        "Count a conversion within this many days of a click",
        default=7,
        validators=[InputRequired("Give a number of days."), NumberRange(1, 90)],
    )
    conversion_event = StringField(
        "Conversion event (empty: any event)",
        validators=[Optional(), Length(max=100)],
        render_kw={"placeholder": "order.placed"},
    )


class ScheduleForm(FlaskForm):
    scheduled_at = DateTimeLocalField(
        "Send at", format="%Y-%m-%dT%H:%M", validators=[InputRequired("Choose a date and time.")]
    )


class TestForm(FlaskForm):
    to = StringField(
        "Send a test to", validators=[DataRequired("Give an address."), Length(max=254)]
    )
