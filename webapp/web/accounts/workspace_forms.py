from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from webapp.services.events import RETENTION_MAX, RETENTION_MIN
from webapp.services.leads.fields import phone_region_choices
from webapp.services.messaging.quiet_hours import TEXTING_FROM, TEXTING_UNTIL, check_texting_hours
from webapp.web.accounts.auth_forms import check_timezone, timezone_field


class WorkspaceForm(FlaskForm):
    name = StringField(
        "Business name", validators=[InputRequired("Name your business."), Length(max=120)]
    )
    timezone = timezone_field("Business time zone")

    def validate_timezone(self, field) -> None:
        check_timezone(self, field)


POSTAL_HELP = (
    "Shown at the foot of every marketing email (sequences, broadcasts, workflows): the law "
    "in many countries (CAN-SPAM in the US) wants a real postal address in commercial email. "
    "A PO box works."
)


def postal_address_field() -> TextAreaField:
    return TextAreaField(
        "Business postal address",
        render_kw={"rows": 2, "autocomplete": "street-address"},
        validators=[
            Optional(),
            Length(max=300, message="Keep the address under 300 characters."),
        ],
    )


class WorkspaceSettingsForm(WorkspaceForm):
    postal_address = postal_address_field()
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
    texting_from = StringField(
        "Texts from",
        default=TEXTING_FROM,
        validators=[Optional(), Length(max=5)],
        description=f"Earliest local time for SMS and WhatsApp, {TEXTING_FROM} or later.",
    )
    texting_until = StringField(
        "Texts until",
        default=TEXTING_UNTIL,
        validators=[Optional(), Length(max=5)],
        description=f"Latest local time, {TEXTING_UNTIL} or earlier.",
    )

    def validate_texting_from(self, field) -> None:
        field.data = (field.data or "").strip() or TEXTING_FROM
        problem = check_texting_hours(field.data, TEXTING_UNTIL)
        if problem:
            raise ValidationError(problem)

    def validate_texting_until(self, field) -> None:
        field.data = (field.data or "").strip() or TEXTING_UNTIL
        start = self.texting_from.data if not self.texting_from.errors else TEXTING_FROM
        problem = check_texting_hours(start or TEXTING_FROM, field.data)
        if problem:
            raise ValidationError(problem)

    phone_region = SelectField(
        "Country of phone numbers typed without a country code",
        choices=[("", "The country of the time zone")] + phone_region_choices(),
        default="",
        validate_choice=False,  # left out of a post: kept as it is (checked below)
    )

    def validate_phone_region(self, field) -> None:
        if field.data and field.data not in dict(phone_region_choices()):
            raise ValidationError("Choose a country from the list.")


class InviteForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[("staff", "Staff: runs the marketing"), ("owner", "Owner: also manages the team")],
        default="staff",
    )
    note = StringField("Who is it for? (optional)", validators=[Length(max=200)])
