from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.services.events import RETENTION_MAX, RETENTION_MIN
from webapp.web.accounts.auth_forms import check_timezone, timezone_field


class WorkspaceForm(FlaskForm):
    name = StringField(
        "Business name", validators=[InputRequired("Name your business."), Length(max=120)]
    )
    timezone = timezone_field("Business time zone")

    def validate_timezone(self, field) -> None:
        check_timezone(self, field)


class WorkspaceSettingsForm(WorkspaceForm):
    event_retention_days = IntegerField(
        "Keep contacts' events for (days)",
        validators=[
            Optional(),  # left out: kept as it is
            NumberRange(
                RETENTION_MIN,
                RETENTION_MAX,
                f"Keep events between {RETENTION_MIN} and {RETENTION_MAX} days.",
            ),
        ],
    )


class InviteForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[("staff", "Staff: runs the marketing"), ("owner", "Owner: also manages the team")],
        default="staff",
    )
    note = StringField("Who is it for? (optional)", validators=[Length(max=200)])
