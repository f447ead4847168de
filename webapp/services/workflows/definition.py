"""A workflow's definition: a trigger and a flat list of steps with stable ids, validated
by pydantic. Steps run in list order; a condition or a wait for an event names the step
each branch goes to ("" = the next step, "exit" = end the run).

`parse(data)` returns a Definition or raises DefinitionInvalid whose `errors` map a field
path ("steps.wait_1.hours") to its message, so the editor can show each error in place.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

STEP_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
EVENT_NAME = re.compile(r"^[a-z0-9_.-]{1,100}$")
EXIT = "exit"
MAX_STEPS = 100


class DefinitionInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventTrigger(_Strict):
    kind: Literal["event"]
    event: str
    # Property filter: every given property must equal the event's.
    where: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("event")
    @classmethod
    def _name(cls, value: str) -> str:
        if not EVENT_NAME.match(value):
            raise ValueError("an event name is lower case letters, digits, dots, - and _")
        return value


class SegmentTrigger(_Strict):
    kind: Literal["segment_entered", "segment_exited"]
    segment_id: int = Field(gt=0)


class ScheduleTrigger(_Strict):
    kind: Literal["schedule"]
    cron: str  # five fields, in the workspace's time zone
    segment_id: int | None = None  # who runs; None = every subscribed contact

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from webapp.services.workflows.schedules import cron_trigger

        if len(value.split()) != 5:
            raise ValueError("a schedule is five fields: minute hour day month weekday")
        try:
            cron_trigger(value, "UTC")
        except (ValueError, IndexError) as exc:
            raise ValueError(f"not a valid schedule: {exc}") from None
        return value


class WebhookTrigger(_Strict):
    kind: Literal["webhook"]


class ManualTrigger(_Strict):
    kind: Literal["manual"]


Trigger = Annotated[
    EventTrigger | SegmentTrigger | ScheduleTrigger | WebhookTrigger | ManualTrigger,
    Field(discriminator="kind"),
]


class _Step(_Strict):
    id: str

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not STEP_ID.match(value):
            raise ValueError("a step id is 1–64 lower case letters, digits, - and _")
        return value

    def targets(self) -> list[tuple[str, str]]:
        return []


class WaitStep(_Step):
    kind: Literal["wait"]
    minutes: int = Field(default=0, ge=0, le=525_600)
    hours: int = Field(default=0, ge=0, le=8_760)
    days: int = Field(default=0, ge=0, le=365)
    until_time: str | None = None  # "09:00" in the contact's zone (after the duration)
    until_property: str | None = None  # a date in the contact's extra fields

    @model_validator(mode="after")
    def _something(self) -> WaitStep:
        if self.until_time and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", self.until_time):
            raise ValueError("until_time is HH:MM")
        if not (self.minutes or self.hours or self.days or self.until_time or self.until_property):
            raise ValueError("a wait needs a duration, a time of day or a date property")
        return self


class SendStep(_Step):
    kind: Literal["send"]
    channel: Literal["email", "sms", "whatsapp"] = "email"
    subject: str = Field(default="", max_length=300)
    body: str = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _subject(self) -> SendStep:
        if self.channel == "email" and not self.subject.strip():
            raise ValueError("an email needs a subject")
        return self


class Check(_Strict):
    # field: a contact field equals/contains/is set; segment: membership; event: since start.
    type: Literal["field", "segment", "event", "tag"]
    field: str = ""
    op: Literal["equals", "not_equals", "contains", "is_set", "is_not_set"] = "equals"
    value: str = ""
    segment_id: int | None = None
    event: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Check:
        if self.type == "field" and not self.field:
            raise ValueError("a field check names the contact field")
        if self.type == "segment" and not self.segment_id:
            raise ValueError("a segment check names the segment (segment_id)")
        if self.type == "event" and not EVENT_NAME.match(self.event):
            raise ValueError("an event check names the event")
        if self.type == "tag" and not self.value.strip():
            raise ValueError("a tag check names the tag (value)")
        return self


class ConditionStep(_Step):
    kind: Literal["condition"]
    check: Check
    then: str = ""
    otherwise: str = Field(default="", alias="else")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def targets(self) -> list[tuple[str, str]]:
        return [("then", self.then), ("else", self.otherwise)]


class WaitEventStep(_Step):
    kind: Literal["wait_event"]
    event: str
    # Trigger properties the awaited event must carry with the same value (e.g. cart_id).
    match: list[str] = Field(default_factory=list, max_length=5)
    timeout_hours: float = Field(gt=0, le=24 * 90)
    on_event: str = ""
    on_timeout: str = ""

    def targets(self) -> list[tuple[str, str]]:
        return [("on_event", self.on_event), ("on_timeout", self.on_timeout)]


class UpdateStep(_Step):
    kind: Literal["update"]
    action: Literal["set_field", "add_tag", "remove_tag"]
    field: str = ""
    value: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> UpdateStep:
        if self.action == "set_field" and not re.match(r"^[A-Za-z][A-Za-z0-9_]{0,59}$", self.field):
            raise ValueError("set_field names the contact field (letters, digits, _)")
        if self.action != "set_field" and not self.value.strip():
            raise ValueError("a tag step names the tag (value)")
        return self


class WebhookStep(_Step):
    kind: Literal["webhook"]
    url: str = Field(max_length=2000)

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.lower().startswith("https://"):
            raise ValueError("an outbound webhook must use https://")
        return value


class ExitStep(_Step):
    kind: Literal["exit"]


Step = Annotated[
    WaitStep | SendStep | ConditionStep | WaitEventStep | UpdateStep | WebhookStep | ExitStep,
    Field(discriminator="kind"),
]


class Definition(_Strict):
    trigger: Trigger
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    def index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)

    def step(self, step_id: str):
        return self.steps[self.index(step_id)]

    def after(self, step_id: str, target: str = "") -> str | None:
        """The step that follows `step_id` by `target` ("" = the next in order); None = end."""
        if target == EXIT:
            return None
        if target:
            return target
        i = self.index(step_id) + 1
        return self.steps[i].id if i < len(self.steps) else None


def _path(data: Any, loc: tuple) -> str:
    """A readable field path that names a step by its id, not its position."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if part == "steps" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            continue
        if isinstance(part, int) and i and loc[i - 1] == "steps":
            try:
                parts.append(f"steps.{data['steps'][part].get('id') or part}")
            except (KeyError, IndexError, TypeError, AttributeError):
                parts.append(f"steps.{part}")
            continue
        if part in ("wait", "send", "condition", "wait_event", "update", "webhook", "exit"):
            continue  # the discriminator's tag adds nothing for a reader
        if part in ("event", "segment_entered", "segment_exited", "schedule", "manual") and i == 1:
            continue
        parts.append(str(part))
    return ".".join(parts) or "definition"


def parse(data: Any) -> Definition:
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            errors.setdefault(_path(data, err["loc"]), err["msg"].removeprefix("Value error, "))
        raise DefinitionInvalid(errors) from None
    errors = {}
    ids = [s.id for s in definition.steps]
    for step in definition.steps:
        if ids.count(step.id) > 1:
            errors[f"steps.{step.id}.id"] = "another step has this id"
        for name, target in step.targets():
            if target and target != EXIT and target not in ids:
                errors[f"steps.{step.id}.{name}"] = f"no step has the id {target!r}"
            if target == step.id:
                errors[f"steps.{step.id}.{name}"] = "a branch cannot go to its own step"
    if errors:
        raise DefinitionInvalid(errors)
    return definition


def dump(definition: Definition) -> dict:
    return definition.model_dump(mode="json", by_alias=True)
