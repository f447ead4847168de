"""The wizard's four forms, the rules form and the AI budget form."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Field
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.models import CHANNELS
from webapp.services.autopilot.builtin_planner import WHY
from webapp.services.autopilot.plan_inputs import CHANNEL_NAMES, GOALS, PlanInputs
from webapp.web.accounts.workspace_forms import postal_address_field
from webapp.web.autopilot.sender_form import SenderFields


class AmountField(StringField):
    """A number typed as people type it: "$1,500", "1500.50", " 20 "."""

    def __init__(
        self, *args, whole: bool = False, message: str = "Enter a number.", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.whole, self.message, self.number = whole, message, None

    def process_data(self, value: object) -> None:
        super().process_data(value)
        try:
            self.number = self._parse(value)
        except ValueError:
            self.number = None

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        self.number = None
        self.number = self._parse(self.data)

    def _parse(self, value: object) -> Decimal | int | None:
        text = str(value if value is not None else "").strip()
        text = text.replace(",", "").replace("$", "").replace("%", "").strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(self.message) from None
        if not number.is_finite() or (self.whole and number != number.to_integral_value()):
            raise ValueError(self.message)
        return int(number) if self.whole else number

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class NumberIn:
    """The typed number lies in [low, high] (after AmountField parsed it)."""

    def __init__(self, low: float, high: float, message: str) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form: Form, field: AmountField) -> None:
        if field.number is not None and not self.low <= field.number <= self.high:
            raise ValidationError(self.message)


def _required_number(form: Form, field: AmountField) -> None:
    if field.number is None and not field.errors:
        raise ValidationError(field.message)


# --- the wizard ---------------------------------------------------------------------------


class BusinessForm(SenderFields, FlaskForm):
    description = TextAreaField(
        "What does your business do?",
        render_kw={"rows": 5},
        validators=[
            DataRequired("Describe your business in a sentence or two."),
            Length(
                min=20,
                max=2000,
                message="Use between 20 and 2,000 characters: what you sell, and to whom.",
            ),
        ],
    )
    postal_address = postal_address_field()  # kept on the workspace, for email footers


class AudienceForm(FlaskForm):
    who = StringField(
        "Who are your customers?",
        validators=[
            DataRequired("Say who buys from you, e.g. “busy parents” or “dental practices”."),
            Length(max=120),
        ],
    )
    where = StringField(
        "Where are they?",
        validators=[
            DataRequired("Say where your customers are: a town, a region, or “nationwide”."),
            Length(max=80),
        ],
    )
    market = RadioField(
        "You sell to",
        choices=[("b2c", "People (B2C)"), ("b2b", "Businesses (B2B)")],
        invalid_choice_message="Choose whether you sell to people or to businesses.",
    )
    interests = StringField("Their interests (optional)", validators=[Length(max=300)])

    def validate_interests(self, field: StringField) -> None:
        items = interest_list(field.data)
        if len(items) > 8:
            raise ValidationError("List at most 8 interests.")
        if any(len(item) > 40 for item in items):
            raise ValidationError("Keep each interest under 40 characters.")


def interest_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


GOAL_LABELS = {
    "leads": "More enquiries (leads)",
    "sales": "More sales",
    "awareness": "More people knowing us",
    "bookings": "More bookings",
}


class BudgetForm(FlaskForm):
    monthly_budget = AmountField(
        "Monthly marketing budget (USD)",
        message="Enter your monthly budget in dollars, like 500.",
        validators=[
            _required_number,
            NumberIn(10, 1_000_000, "Enter an amount between $10 and $1,000,000."),
        ],
    )
    primary_goal = RadioField(
        "Main goal",
        choices=[(g, GOAL_LABELS[g]) for g in GOALS],
        invalid_choice_message="Choose your main goal.",
    )
    monthly_leads = AmountField(
        "Leads you want each month (optional)",
        whole=True,
        message="Enter a whole number of leads, like 40, or leave it empty.",
        validators=[NumberIn(1, 100_000, "Enter between 1 and 100,000 leads, or leave it empty.")],
    )


def plan_inputs(business: BusinessForm, audience: AudienceForm, budget: BudgetForm) -> PlanInputs:
    """The planner's inputs from the three validated forms."""
    return PlanInputs(
        business=business.description.data.strip(),
        who=audience.who.data.strip(),
        where=audience.where.data.strip(),
        market=audience.market.data,
        interests=tuple(interest_list(audience.interests.data)),
        monthly_budget=budget.monthly_budget.number.quantize(Decimal("0.01")),
        primary_goal=budget.primary_goal.data,
        monthly_leads=budget.monthly_leads.number,
    )


class ChannelRowForm(Form):
    channel = HiddenField()
    percent = AmountField("Share", whole=True, message="Enter a whole percentage from 0 to 100.",
                          validators=[NumberIn(0, 100, "Enter a whole percentage from 0 to 100.")])  # fmt: skip

    def validate_channel(self, field: Field) -> None:
        if field.data not in CHANNELS:
            raise ValidationError("Unknown channel.")


class ReviewForm(FlaskForm):
    channels = FieldList(FormField(ChannelRowForm), min_entries=0, max_entries=len(CHANNELS))
    add_channel = SelectField(
        "Add a channel", choices=[("", "No, thanks")] + [(c, CHANNEL_NAMES[c]) for c in CHANNELS],
        validate_choice=False,
    )  # fmt: skip
    add_percent = AmountField("Its share (%)", whole=True, message="Enter a whole percentage from 1 to 100.",
                              validators=[NumberIn(1, 100, "Enter a whole percentage from 1 to 100.")])  # fmt: skip
    value_proposition = TextAreaField(
        "Value proposition",
        render_kw={"rows": 2},
        validators=[
            DataRequired("Say in one sentence why customers should choose you."),
            Length(max=400),
        ],
    )
    tone = StringField(
        "Tone of voice",
        validators=[DataRequired("Describe the tone in a few words."), Length(max=120)],
    )
    key_message_1 = StringField(
        "Key message 1", validators=[DataRequired("Write three key messages."), Length(max=300)]
    )
    key_message_2 = StringField(
        "Key message 2", validators=[DataRequired("Write three key messages."), Length(max=300)]
    )
    key_message_3 = StringField(
        "Key message 3", validators=[DataRequired("Write three key messages."), Length(max=300)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.total_errors: list[str] = []

    def validate(self, extra_validators: dict | None = None) -> bool:
        ok = super().validate(extra_validators)
        self.total_errors = []
        if self.add_channel.data and self.add_channel.data not in CHANNELS:
            self.add_channel.errors.append("Choose a channel from the list.")
            ok = False
        if self.add_channel.data in self.present_channels():
            self.add_channel.errors.append(
                "That channel is already in the plan; change its share above."
            )
            ok = False
        if (
            self.add_channel.data
            and self.add_percent.number is None
            and not self.add_percent.errors
        ):
            self.add_percent.errors.append("Give the new channel a share.")
            ok = False
        if not ok:
            return False
        present = self.present_channels()
        total = self.total()
        if len(set(present)) != len(present):
            self.total_errors.append("Each channel can appear only once.")
        elif not self.shares():
            self.total_errors.append("Give at least one channel a share above 0%.")
        elif total != 100:
            self.total_errors.append(
                f"The shares add up to {total}%; they must add up to exactly 100%."
            )
        return not self.total_errors

    def present_channels(self) -> list[str]:
        return [row.form.channel.data for row in self.channels]

    def shares(self) -> list[tuple[str, int]]:
        """(channel, percent) with a share above zero, the added channel last."""
        rows = [(row.form.channel.data, row.form.percent.number or 0) for row in self.channels]
        if self.add_channel.data in CHANNELS:
            rows.append((self.add_channel.data, self.add_percent.number or 0))
        return [(channel, pct) for channel, pct in rows if pct > 0]

    def total(self) -> int:
        return sum(pct for _channel, pct in self.shares())

    def strategy(self, planned: dict) -> dict:
        """The edited strategy, rationales kept from the planned one."""
        why = {c["channel"]: c["rationale"] for c in planned.get("channels", [])}
        channels = [
            {"channel": ch, "percent": pct, "rationale": why.get(ch) or f"{WHY[ch]} Added by you."}
            for ch, pct in self.shares()
        ]
        channels.sort(key=lambda c: (-c["percent"], CHANNELS.index(c["channel"])))
        messaging = {
            "value_proposition": self.value_proposition.data.strip(),
            "tone": self.tone.data.strip(),
            "key_messages": [
                f.data.strip() for f in (self.key_message_1, self.key_message_2, self.key_message_3)
            ],
        }
        edited = channels != [
            {k: c[k] for k in ("channel", "percent", "rationale")}
            for c in planned.get("channels", [])
        ] or messaging != planned.get("messaging")
        result = {"channels": channels, "messaging": messaging}
        for key in ("planner", "model", "fallback_reason"):
            if key in planned:
                result[key] = planned[key]
        result["edited"] = bool(edited)
        return result


def review_data(strategy: dict) -> dict:
    """A strategy as the review form's initial data (tolerating missing parts)."""
    messaging = strategy.get("messaging") or {}
    messages = list(messaging.get("key_messages") or []) + ["", "", ""]
    return {
        "channels": [
            {"channel": c.get("channel"), "percent": str(c.get("percent", ""))}
            for c in strategy.get("channels") or []
        ],
        "value_proposition": messaging.get("value_proposition", ""),
        "tone": messaging.get("tone", ""),
        "key_message_1": messages[0],
        "key_message_2": messages[1],
        "key_message_3": messages[2],
    }


# --- the autopilot page -------------------------------------------------------------------

RULE_FIELDS = {
    # form field: (rule name, scale from the form's unit to the stored value)
    "low_conversion": ("low_conversion", Decimal("0.01")),
    "low_spend_share": ("low_spend_share", Decimal("0.01")),
    "high_conversion": ("high_conversion", Decimal("0.01")),
    "high_spend_share": ("high_spend_share", Decimal("0.01")),
    "change_pct": ("change_pct", Decimal("0.01")),
    "max_increase": ("max_increase", Decimal("1")),
    "cooldown_days": ("cooldown_days", Decimal("1")),
}


def _pct(label: str, low: float, high: float) -> AmountField:
    message = f"Enter a percentage from {low:g} to {high:g}."
    return AmountField(
        label, message=message, validators=[_required_number, NumberIn(low, high, message)]
    )


class RulesForm(FlaskForm):
    low_conversion = _pct("Cut when the conversion rate is below (%)", 0, 100)
    low_spend_share = _pct("…and more than this share of its budget is spent (%)", 1, 100)
    high_conversion = _pct("Raise when the conversion rate is above (%)", 0, 100)
    high_spend_share = _pct("…and less than this share of its budget is spent (%)", 1, 100)
    change_pct = _pct("Change the budget by (%)", 1, 99)
    max_increase = AmountField(
        "Largest single increase (USD)", message="Enter an amount in dollars, like 500.",
        validators=[_required_number, NumberIn(0, 1_000_000, "Enter an amount from $0 to $1,000,000.")],
    )  # fmt: skip
    cooldown_days = AmountField(
        "Days between two changes to one campaign", whole=True, message="Enter a whole number of days from 1 to 90.",
        validators=[_required_number, NumberIn(1, 90, "Enter a whole number of days from 1 to 90.")],
    )  # fmt: skip

    def rules(self) -> dict:
        """The stored form of the typed thresholds (shares as fractions)."""
        out = {}
        for field_name, (rule, scale) in RULE_FIELDS.items():
            value = Decimal(getattr(self, field_name).number) * scale
            out[rule] = int(value) if rule == "cooldown_days" else float(value)
        return out


def rules_data(rules: dict) -> dict:
    """Stored thresholds as the form shows them (percentages, dollars, days)."""
    data = {}
    for field_name, (rule, scale) in RULE_FIELDS.items():
        shown = (Decimal(str(rules[rule])) / scale).normalize()
        data[field_name] = f"{shown:f}"
    return data


class AiBudgetForm(FlaskForm):
    ai_monthly_budget = AmountField(
        "Monthly AI budget (USD)", message="Enter an amount in dollars, like 10.",
        validators=[_required_number, NumberIn(0, 10_000, "Enter an amount from $0 to $10,000.")],
    )  # fmt: skip


class OptimizerForm(FlaskForm):
    mode = RadioField(
        "How budgets are moved",
        choices=[
            (
                "learning",
                "Learning: re-split the month's money every week by what each channel returns",
            ),
            ("rules", "Rules: raise or cut a budget by fixed conversion-rate thresholds"),
        ],
        validators=[DataRequired("Choose how budgets are moved.")],
    )
    lead_value = AmountField(
        "What one lead is worth to you (USD)", message="Enter an amount in dollars, like 40.",
        validators=[NumberIn(0, 100_000, "Enter an amount from $0 to $100,000.")],
    )  # fmt: skip
