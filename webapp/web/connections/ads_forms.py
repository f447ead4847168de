"""The ad platforms' credential forms (Settings → Integrations). Secrets are password fields:
left blank on edit, the saved one stays."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

CUSTOMER_ID = re.compile(r"^\d{3}-?\d{3}-?\d{4}$")
DIGITS = re.compile(r"^\d{5,20}$")


def _customer_id(_form, field) -> None:
    value = (field.data or "").strip()
    if not value:
        return
    if not CUSTOMER_ID.match(value):
        raise ValidationError("A customer id is 10 digits, e.g. 123-456-7890.")
    field.data = value.replace("-", "")


class GoogleAdsForm(FlaskForm):
    developer_token = PasswordField("Developer token", validators=[Optional(), Length(max=100)])
    client_id = StringField(
        "OAuth client id",
        validators=[InputRequired("Enter the OAuth client id."), Length(max=200)],
        description="Ends in .apps.googleusercontent.com (Google Cloud console → Credentials).",
    )
    client_secret = PasswordField("OAuth client secret", validators=[Optional(), Length(max=200)])
    refresh_token = PasswordField("Refresh token", validators=[Optional(), Length(max=500)])
    customer_id = StringField(
        "Customer id",
        validators=[InputRequired("Enter the customer id of the ads account."), _customer_id],
        description="The ads account's id, top right in Google Ads, e.g. 123-456-7890.",
    )
    login_customer_id = StringField(
        "Manager account id (optional)",
        validators=[Optional(), _customer_id],
        description="Only when you reach the account through a manager (MCC) account.",
    )

    def values(self) -> dict[str, str]:
        return {
            "developer_token": (self.developer_token.data or "").strip(),
            "client_id": self.client_id.data.strip(),
            "client_secret": (self.client_secret.data or "").strip(),
            "refresh_token": (self.refresh_token.data or "").strip(),
            "customer_id": self.customer_id.data,
            "login_customer_id": self.login_customer_id.data or "",
        }

    def fill(self, hint: dict) -> None:
        self.client_id.data, self.customer_id.data = hint.get("client_id"), hint.get("customer_id")
        self.login_customer_id.data = hint.get("login_customer_id")


class MetaAdsForm(FlaskForm):
    app_id = StringField(
        "App id",
        validators=[InputRequired("Enter the app id."), Length(max=40)],
        description="Meta for Developers → your app → App settings → Basic.",
    )
    app_secret = PasswordField("App secret", validators=[Optional(), Length(max=100)])
    access_token = PasswordField(
        "System-user access token", validators=[Optional(), Length(max=1000)]
    )
    ad_account_id = StringField(
        "Ad account id",
        validators=[InputRequired("Enter the ad account id."), Length(max=40)],
        description="In Ads Manager's account menu, e.g. act_1234567890 or just the digits.",
    )

    def validate_app_id(self, field) -> None:
        value = (field.data or "").strip()
        if not DIGITS.match(value):
            raise ValidationError("An app id is a number, e.g. 1234567890123456.")
        field.data = value

    def validate_ad_account_id(self, field) -> None:
        value = (field.data or "").strip().removeprefix("act_")
        if not DIGITS.match(value):
            raise ValidationError(
                "An ad account id is act_ followed by digits, e.g. act_1234567890."
            )
        field.data = f"act_{value}"

    def values(self) -> dict[str, str]:
        return {
            "app_id": self.app_id.data,
            "app_secret": (self.app_secret.data or "").strip(),
            "access_token": (self.access_token.data or "").strip(),
            "ad_account_id": self.ad_account_id.data,
        }

    def fill(self, hint: dict) -> None:
        self.app_id.data, self.ad_account_id.data = hint.get("app_id"), hint.get("ad_account_id")


# The secrets each form needs on its first save (a blank one keeps the saved value later).
FIRST_SAVE_SECRETS = {
    "google_ads": ("developer_token", "client_secret", "refresh_token"),
    "meta_ads": ("app_secret", "access_token"),
}
