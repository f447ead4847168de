"""Forms of the lead inbox."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from webapp.models import LEAD_STATUSES
from webapp.services.leads.search import SORT_LABELS
from webapp.web.forms import QuickDateInput, QuickNumberInput, QuickSelect

STATUS_CHOICES = [(s, s.capitalize()) for s in LEAD_STATUSES]


class InboxForm(FlaskForm):
    """The inbox's search, filters, sort and page, read from the query string."""

    class Meta:
        csrf = False  # a GET view changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status", choices=[("", "Any status"), *STATUS_CHOICES], default="", widget=QuickSelect()
    )
    source = SelectField(
        "Source", choices=[], validate_choice=False, default="", widget=QuickSelect()
    )
    since = DateField("From", validators=[Optional()], widget=QuickDateInput())
    until = DateField("To", validators=[Optional()], widget=QuickDateInput())
    min_score = IntegerField(
        "Min. score",
        validators=[Optional(), NumberRange(0, 100, "Between 0 and 100.")],
        widget=QuickNumberInput(),
    )
    sort = SelectField(
        "Sort", choices=list(SORT_LABELS.items()), default="newest", widget=QuickSelect()
    )
    page = IntegerField("Page", validators=[Optional(), NumberRange(1, 1_000_000)], default=1)

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("“To” must be on or after “From”.")


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES)


class NotesForm(FlaskForm):
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])


class NewLeadForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    email = EmailField("Email", validators=[Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    company = StringField("Company", validators=[Length(max=200)])
    source = StringField("Source", validators=[Length(max=40)], default="manual")


class UploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to import.")])


class ApiKeyForm(FlaskForm):
    name = StringField("Key name", validators=[Length(max=80)])
