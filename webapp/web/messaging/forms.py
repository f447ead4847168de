"""Forms of the sequence builder: the sequence (name and schedule) and one step."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

DAY_CHOICES = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp")]
UNIT_CHOICES = [("minutes", "minutes"), ("hours", "hours"), ("days", "days")]


class SequenceForm(FlaskForm):
    """The sequence's name and when it may send (days, window, time zone)."""

    name = StringField(
        "Name", validators=[InputRequired("Give the sequence a name."), Length(max=120)]
    )
    days = SelectMultipleField(
        "Days it may send",
        choices=DAY_CHOICES,
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    start = TimeField("From", validators=[InputRequired("Enter a start time, e.g. 09:00.")])
    end = TimeField("Until", validators=[InputRequired("Enter an end time, e.g. 18:00.")])
    timezone_mode = RadioField(
        "Time zone",
        choices=[("workspace", "The workspace's"), ("contact", "Each contact's own")],
        default="workspace",
        validators=[InputRequired("Choose whose time zone the window follows.")],
    )

    def validate_name(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Give the sequence a name.")

    def validate_days(self, field) -> None:
        if not field.data:
            raise ValidationError("Tick at least one day.")

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError("The window must end after it starts.")

    def schedule(self) -> dict:
        return {
            "days": sorted(set(self.days.data)),
            "start": self.start.data.strftime("%H:%M"),
            "end": self.end.data.strftime("%H:%M"),
            "timezone_mode": self.timezone_mode.data,
            "timezone": None,
        }


class StepForm(FlaskForm):
    """One message of the sequence: channel, words, and how long after the previous one."""

    channel = SelectField("Channel", choices=CHANNEL_CHOICES, default="email")
    subject = StringField(
        "Subject",
        validators=[Length(max=300)],
        render_kw={"placeholder": "e.g. Welcome to {{companyName}}, {{firstName|there}}!"},
    )
    body = TextAreaField(
        "Message",
        validators=[InputRequired("Write the message."), Length(max=10_000)],
        render_kw={"rows": 6},
    )
    delay_value = IntegerField(
        "Wait",
        default=0,
        validators=[
            InputRequired("Enter how long to wait (0 sends right away)."),
            NumberRange(0, None, "Enter 0 or more."),
        ],
    )
    delay_unit = SelectField("Unit", choices=UNIT_CHOICES, default="days")

    def validate_subject(self, field) -> None:
        if self.channel.data == "email" and not (field.data or "").strip():
            raise ValidationError("An email needs a subject.")

    def validate_body(self, field) -> None:
        if field.data is not None and not field.data.strip():
            raise ValidationError("Write the message.")

    def fields(self) -> dict:
        email = self.channel.data == "email"
        return {
            "channel": self.channel.data,
            "subject": (self.subject.data or "").strip() if email else "",
            "body": self.body.data.strip(),
            "delay_value": self.delay_value.data,
            "delay_unit": self.delay_unit.data,
        }
