"""Forms of the segments pages. The rule rows are read by `builder.tree_from_form`; the
form carries the name and the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from webapp.models import ATTRIBUTE_TYPES


class SegmentForm(FlaskForm):
    name = StringField(
        "Segment name", validators=[DataRequired("Give the segment a name."), Length(max=120)]
    )


class PageForm(FlaskForm):
    class Meta:
        csrf = False  # a GET view changes nothing

    page = IntegerField("Page", validators=[Optional(), NumberRange(1, 1_000_000)], default=1)


class AttributeForm(FlaskForm):
    key = StringField(
        "Key in the contact's data",
        validators=[
            DataRequired("Give the key."),
            Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,59}$", message="A letter, then letters, digits or _."),
        ],
    )
    label = StringField("Label", validators=[Length(max=80)])
    type = SelectField("Type", choices=[(t, t.capitalize()) for t in ATTRIBUTE_TYPES])


class TagForm(FlaskForm):
    tag = StringField("Tag", validators=[DataRequired("Type a tag."), Length(max=50)])
