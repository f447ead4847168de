"""One form per provider. Secrets are password fields: left blank on edit, the saved one stays."""

from __future__ import annotations

import re
from email.utils import parseaddr
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import PasswordInput

from webapp.services.connections import check_sender
from webapp.web.connections.ads_forms import GoogleAdsForm, MetaAdsForm

SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")  # a Content API template
HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")

# A save refused for another field keeps what was typed in a secret field (only in that
# answer to the owner's own post; a saved secret is never shown back).
KEEP_TYPED = PasswordInput(hide_value=False)


def e164(_form, field) -> None:
    value = (field.data or "").strip()
    if not value:
        return
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "Enter the number in international format, e.g. +14155550100."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "That is not a valid phone number; use international format, e.g. +14155550100."
        )
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmtpForm(FlaskForm):
    host = StringField(
        "Mail server (SMTP host)",
        validators=[InputRequired("Enter your mail server's host name."), Length(max=255)],
    )
    port = IntegerField(
        "Port",
        default=587,
        validators=[
            InputRequired("Enter the port (usually 587)."),
            NumberRange(1, 65535, "The port is a number from 1 to 65535."),
        ],
    )
    security = SelectField(
        "Security",
        choices=[
            ("starttls", "STARTTLS (port 587)"),
            ("ssl", "SSL/TLS (port 465)"),
            ("none", "None (local servers only)"),
        ],
        default="starttls",
    )
    username = StringField("Username", validators=[Optional(), Length(max=255)])
    password = PasswordField(
        "Password", validators=[Optional(), Length(max=500)], widget=KEEP_TYPED
    )
    allow_plain_login = BooleanField(
        "Allow plain-text login",
        description="Only for a relay you trust on this machine or network: with security "
        "“None” the password travels unencrypted, so it is refused unless this is ticked.",
    )
    sender = StringField(
        "Send as (From)",
        validators=[InputRequired("Enter the address your email comes from."), Length(max=255)],
        description='e.g. "Alice Bakes <hello@alicebakes.com>"',
    )

    def validate_allow_plain_login(self, field) -> None:
        if self.security.data == "none" and (self.username.data or "").strip() and not field.data:
            raise ValidationError(
                "With security “None” the password would travel unencrypted: choose STARTTLS "
                "or SSL/TLS, or tick this box for a relay you trust."
            )

    def validate_host(self, field) -> None:
        value = (field.data or "").strip()
        if "://" in value or not HOST.match(value):
            raise ValidationError("Enter only the host name, e.g. smtp.example.com.")
        field.data = value

    def validate_sender(self, field) -> None:
        problem = check_sender(field.data or "")
        if problem:  # e.g. an unquoted comma in the name: two addresses, not one
            raise ValidationError(problem)
        _name, address = parseaddr(field.data or "")
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValidationError("Enter a valid email address, e.g. hello@yourshop.com.") from exc

    def values(self) -> dict[str, str]:
        return {
            "host": self.host.data.strip(),
            "port": str(self.port.data),
            "starttls": "1" if self.security.data == "starttls" else "0",
            "use_ssl": "1" if self.security.data == "ssl" else "0",
            "allow_plain_login": "1" if self.allow_plain_login.data else "0",
            "username": (self.username.data or "").strip(),
            "password": self.password.data or "",
            "sender": self.sender.data.strip(),
        }

    def fill(self, hint: dict) -> None:
        self.host.data, self.username.data, self.sender.data = (
            hint.get("host"),
            hint.get("username"),
            hint.get("sender"),
        )
        self.port.data = int(hint.get("port") or 587)
        self.allow_plain_login.data = hint.get("allow_plain_login") == "1"
        self.security.data = (
            "ssl"
            if hint.get("use_ssl") == "1"
            else "starttls"
            if hint.get("starttls") == "1"
            else "none"
        )


class TwilioForm(FlaskForm):
    account_sid = StringField(
        "Account SID",
        validators=[InputRequired("Enter your Account SID."), Length(max=34)],
        description="Starts with AC; on your Twilio console's home page.",
    )
    auth_token = PasswordField(
        "Auth token", validators=[Optional(), Length(max=200)], widget=KEEP_TYPED
    )
    from_number = StringField(
        "SMS number",
        validators=[InputRequired("Enter the Twilio number to send from."), e164],
        description="International format, e.g. +14155550100.",
    )
    whatsapp_from = StringField(
        "WhatsApp number (optional)",
        validators=[Optional(), e164],
        description="Leave blank to use the SMS number.",
    )
    whatsapp_template_sid = StringField(
        "WhatsApp template Content SID (optional)",
        validators=[Optional(), Length(max=34)],
        description=(
            "An approved template (HX…, from Twilio's Content Template Builder) for WhatsApp "
            "messages more than 24 hours after the contact last wrote; {{1}} is the contact's "
            "first name, {{2}} your business name. Without one, those messages wait."
        ),
    )

    def validate_whatsapp_template_sid(self, field) -> None:
        value = (field.data or "").strip()
        if value and not CONTENT_SID.match(value):
            raise ValidationError('A Content SID is "HX" followed by 32 hexadecimal characters.')
        field.data = value

    def validate_account_sid(self, field) -> None:
        value = (field.data or "").strip()
        if not SID.match(value):
            raise ValidationError('An Account SID is "AC" followed by 32 hexadecimal characters.')
        field.data = value

    def values(self) -> dict[str, str]:
        return {
            "account_sid": self.account_sid.data,
            "auth_token": (self.auth_token.data or "").strip(),
            "from_number": self.from_number.data,
            "whatsapp_from": self.whatsapp_from.data or "",
            "whatsapp_template_sid": self.whatsapp_template_sid.data or "",
        }

    def fill(self, hint: dict) -> None:
        self.account_sid.data, self.from_number.data = (
            hint.get("account_sid"),
            hint.get("from_number"),
        )
        self.whatsapp_from.data = hint.get("whatsapp_from")
        self.whatsapp_template_sid.data = hint.get("whatsapp_template_sid")


class OpenAiForm(FlaskForm):
    api_key = PasswordField("API key", validators=[Optional(), Length(max=300)], widget=KEEP_TYPED)
    model = StringField("Model", default="gpt-4o-mini", validators=[Optional(), Length(max=80)])
    base_url = StringField(
        "API base URL (optional)",
        validators=[Optional(), Length(max=300)],
        description="Only for an OpenAI-compatible proxy; leave blank for OpenAI itself.",
    )

    def validate_base_url(self, field) -> None:
        value = (field.data or "").strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("Enter a full URL, e.g. https://api.openai.com/v1.")
        field.data = value.rstrip("/")

    def values(self) -> dict[str, str]:
        return {
            "api_key": (self.api_key.data or "").strip(),
            "model": (self.model.data or "").strip(),
            "base_url": self.base_url.data or "",
        }

    def fill(self, hint: dict) -> None:
        self.model.data, self.base_url.data = (
            hint.get("model") or "gpt-4o-mini",
            hint.get("base_url"),
        )


FORMS = {
    "smtp": SmtpForm,
    "twilio": TwilioForm,
    "openai": OpenAiForm,
    "google_ads": GoogleAdsForm,
    "meta_ads": MetaAdsForm,
}
SECRET_FIELD = {"smtp": None, "twilio": "auth_token", "openai": "api_key"}  # required on first save
