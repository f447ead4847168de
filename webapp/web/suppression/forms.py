"""The forms of the suppression pages."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from webapp.web.connections.forms import HOST  # the same host check as the SMTP form

CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp")]


class AddSuppressionForm(FlaskForm):
    channel = SelectField("Channel", choices=CHANNEL_CHOICES, default="email")
    address = StringField(
        "Email address or phone number",
        validators=[DataRequired("Enter the address to suppress."), Length(max=254)],
    )
    note = TextAreaField("Why (optional)", validators=[Length(max=500)])


class LiftForm(FlaskForm):
    confirm = BooleanField("They asked to hear from us again")


class MailboxForm(FlaskForm):
    address = StringField(
        "Bounce address",
        validators=[InputRequired("Enter the address bounces are sent to."), Length(max=254)],
        description="e.g. bounces@yourshop.com: mail to bounces+anything@yourshop.com must "
        "arrive in this mailbox (plus-addressing).",
    )
    host = StringField(
        "POP3 server",
        validators=[InputRequired("Enter the mail server's host name."), Length(max=255)],
    )
    port = IntegerField(
        "Port",
        default=995,
        validators=[
            InputRequired("Enter the port (995 for POP3 over TLS)."),
            NumberRange(1, 65535, "The port is a number from 1 to 65535."),
        ],
    )
    username = StringField(
        "Username", validators=[InputRequired("Enter the mailbox's username."), Length(max=255)]
    )
    password = PasswordField("Password", validators=[Optional(), Length(max=500)])

    def validate_address(self, field) -> None:
        try:
            field.data = validate_email(
                (field.data or "").strip(), check_deliverability=False
            ).normalized
        except EmailNotValidError as exc:
            raise ValidationError("Enter an address such as bounces@yourshop.com.") from exc
        if "+" in field.data.split("@")[0]:
            raise ValidationError(
                "Enter the address without a +tag; the tags are added per message."
            )

    def validate_host(self, field) -> None:
        value = (field.data or "").strip()
        if "://" in value or not HOST.match(value):
            raise ValidationError("Enter only the host name, e.g. pop.example.com.")
        field.data = value

    def values(self) -> dict[str, str]:
        return {
            "address": self.address.data,
            "host": self.host.data,
            "port": str(self.port.data),
            "username": (self.username.data or "").strip(),
            "password": self.password.data or "",
        }


class WebhookSecretsForm(FlaskForm):
    """The providers' secrets; a secret left blank keeps the saved one."""

    mailgun_signing_key = PasswordField(
        "Mailgun webhook signing key", validators=[Optional(), Length(max=200)]
    )
    postmark_username = StringField(
        "Postmark webhook username", validators=[Optional(), Length(max=100)]
    )
    postmark_password = PasswordField(
        "Postmark webhook password", validators=[Optional(), Length(max=200)]
    )
    sendgrid_public_key = TextAreaField(
        "SendGrid verification key", validators=[Optional(), Length(max=400)]
    )
    ses_topic_arn = StringField("Amazon SNS topic ARN", validators=[Optional(), Length(max=300)])

    def validate_sendgrid_public_key(self, field) -> None:
        value = "".join((field.data or "").split())
        if value and not re.fullmatch(r"[A-Za-z0-9+/=]{40,}", value):
            raise ValidationError("Paste the verification key exactly as SendGrid shows it.")
        field.data = value

    def validate_ses_topic_arn(self, field) -> None:
        value = (field.data or "").strip()
        if value and not re.fullmatch(
            r"arn:aws(-[a-z]+)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+", value
        ):
            raise ValidationError(
                "Enter the topic's ARN, e.g. arn:aws:sns:eu-west-1:123456789012:bounces."
            )
        field.data = value

    def values(self) -> dict[str, str]:
        return {name: (getattr(self, name).data or "").strip() for name in (
            "mailgun_signing_key", "postmark_username", "postmark_password",
            "sendgrid_public_key", "ses_topic_arn")}  # fmt: skip
