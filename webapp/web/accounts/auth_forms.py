from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from webapp.services.accounts.people import MIN_PASSWORD, valid_timezone

COMMON_TIMEZONES = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
]


def timezone_field(label: str = "Time zone") -> SelectField:
    return SelectField(
        label, choices=[(tz, tz.replace("_", " ")) for tz in COMMON_TIMEZONES], default="UTC"
    )


def check_timezone(_form, field) -> None:
    if not valid_timezone(field.data or ""):
        raise ValidationError("Choose a time zone from the list.")


class AccountForm(FlaskForm):
    """A new person: name, email and password (joining by invite asks nothing more)."""

    name = StringField(
        "Your name", validators=[InputRequired("Tell us your name."), Length(max=120)]
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter your email."),
            Email("Enter a valid email address."),
            Length(max=254),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Choose a password."),
            Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("password", "The passwords don't match."),
        ],
    )


class SignupForm(AccountForm):
    """A new person and the business they set up."""

    workspace = StringField(
        "Business name", validators=[InputRequired("Name your business."), Length(max=120)]
    )
    timezone = timezone_field("Business time zone")

    def validate_timezone(self, field) -> None:
        check_timezone(self, field)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email."), Length(max=254)])
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password."), Length(max=200)]
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its repeat, with the same strength rule as signing up."""
    return (
        PasswordField(
            "New password",
            validators=[
                InputRequired("Choose a new password."),
                Length(
                    min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters."
                ),
            ],
        ),
        PasswordField(
            "Repeat new password",
            validators=[
                InputRequired("Repeat the new password."),
                EqualTo("password", "The passwords don't match."),
            ],
        ),
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password."), Length(max=200)],
    )
    password, confirm = new_password_fields()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter your email."),
            Email("Enter a valid email address."),
            Length(max=254),
        ],
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
