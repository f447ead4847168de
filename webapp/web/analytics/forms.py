"""The report definition form. The service checks the definition (`analytics.check`); the
form only carries the fields, so its errors and the service's land on the same fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, NumberRange

from webapp.models import CHANNELS
from webapp.services.analytics import DIMENSIONS, METRICS

TYPE_CHOICES = [(t, t.title()) for t in ("sales", "traffic", "conversion", "engagement")]
SCHEDULE_CHOICES = [
    ("daily", "Daily (yesterday's figures)"),
    ("weekly", "Weekly (last Monday to Sunday)"),
    ("monthly", "Monthly (last calendar month)"),
]


def _checkboxes(label: str, choices: list[tuple[str, str]]) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=choices,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False,  # the service names an unknown key
    )


class ReportForm(FlaskForm):
    name = StringField("Report name", render_kw={"maxlength": 120})
    report_type = SelectField("Type", choices=TYPE_CHOICES, validate_choice=False)
    schedule = SelectField("Schedule", choices=SCHEDULE_CHOICES, validate_choice=False)
    send_hour = IntegerField(
        "Send at (hour, workspace time)",
        default=7,
        validators=[InputRequired("Give an hour from 0 to 23."), NumberRange(0, 23)],
    )
    metrics = _checkboxes("Metrics", [(m.key, m.label) for m in METRICS.values()])
    dimensions = _checkboxes("Split by (up to 3)", [(d.key, d.label) for d in DIMENSIONS.values()])
    channel = SelectField(
        "Only this channel",
        choices=[("", "All channels")] + [(c, c.replace("_", " ").title()) for c in CHANNELS],
        validate_choice=False,
    )
    recipients = TextAreaField(
        "Email it to (one address a line, or separated by commas)", render_kw={"rows": 3}
    )
