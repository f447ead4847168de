"""The sender fields of the wizard's business step: who the workspace's emails come from
(checked by the connections service's one rule, stored on the workspace)."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import Length

from webapp.services.connections import SenderInvalid, clean_sender


class SenderFields:
    """Mixed into the business step's form, before FlaskForm."""

    sender_name = StringField(
        "Sender name",
        validators=[Length(max=100, message="Use at most 100 characters.")],
        description="What your customers see as the sender, e.g. your business name.",
    )
    sender_email = StringField(
        "Sender email address",
        validators=[Length(max=254, message="Use at most 254 characters.")],
        description="Replies go here, e.g. hello@yourshop.com. Use an address of your own domain.",
        render_kw={"type": "email", "autocomplete": "email"},
    )

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        try:
            clean_sender(self.sender_name.data, self.sender_email.data)
        except SenderInvalid as exc:
            for name, message in exc.errors.items():
                getattr(self, name).errors = [*getattr(self, name).errors, message]
            return False
        return valid
