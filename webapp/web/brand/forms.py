"""The brand settings form (Settings → Brand)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields import ColorField
from wtforms.validators import Length

LANGUAGE_CHOICES = [("en", "English"), ("de", "German (Deutsch)")]


class BrandForm(FlaskForm):
    primary_color = ColorField("Primary colour", default="#1d4ed8")
    accent_color = ColorField("Accent colour", default="#f59e0b")
    language = SelectField("Language of your pages and copy", choices=LANGUAGE_CHOICES)
    logo = FileField("Logo (PNG or JPEG, at most 512 KB)")
    remove_logo = BooleanField("Remove the current logo")
    public_slug = StringField("Address of your public pages", validators=[Length(max=60)])
    website = StringField("Website", validators=[Length(max=300)])
    phone = StringField("Phone", validators=[Length(max=40)])
    postal_address = TextAreaField(
        "Postal address", validators=[Length(max=500)], render_kw={"rows": 3}
    )
