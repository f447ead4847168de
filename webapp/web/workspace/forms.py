from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from webapp.web.auth.forms import check_timezone, timezone_field


class WorkspaceForm(FlaskForm):
    name = StringField("Business name", validators=[InputRequired("Name your business."), Length(max=120)])
    timezone = timezone_field("Business time zone")

    def validate_timezone(self, field) -> None:  # noqa: ANN001
        check_timezone(self, field)


class InviteForm(FlaskForm):
    role = SelectField("Role", choices=[("staff", "Staff: runs the marketing"), ("owner", "Owner: also manages the team")], default="staff")
    note = StringField("Who is it for? (optional)", validators=[Length(max=200)])
