"""Forms of the workflow pages (each carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.models.workflow import REENTRY
from webapp.services.workflows import TEMPLATES

REENTRY_WORDS = {
    "once": "Once per contact, ever",
    "after_exit": "Again after the contact's run ended",
    "always": "Every time the trigger fires",
}


class TemplateForm(FlaskForm):
    template = SelectField(
        "Start from",
        choices=[("blank", "A blank workflow")] + [(k, v[0]) for k, v in TEMPLATES.items()],
    )


class DefinitionForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Give the workflow a name."), Length(max=120)]
    )
    reentry = SelectField("A contact may enter", choices=[(r, REENTRY_WORDS[r]) for r in REENTRY])
    definition = TextAreaField(
        "Trigger and steps (JSON)", validators=[DataRequired("The definition is empty.")]
    )


class BuilderForm(FlaskForm):
    """The builder's own fields; the trigger and steps are read by services/workflows/builder_form."""

    name = StringField(
        "Name", validators=[DataRequired("Give the workflow a name."), Length(max=120)]
    )
    reentry = SelectField("A contact may enter", choices=[(r, REENTRY_WORDS[r]) for r in REENTRY])


class SimulateForm(FlaskForm):
    """The contact search of the simulation page (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField("Find a contact (name or email)", validators=[Length(max=254)])


class RunForm(FlaskForm):
    contact = StringField(
        "Contact (email or id)", validators=[DataRequired("Give a contact."), Length(max=254)]
    )
    test_mode = BooleanField("Test mode (messages go to the outbox)", default=True)


class ActionForm(FlaskForm):
    pass
