"""The events API's payloads (webapp/web/api/events.py) as pydantic models.

Each event of a batch is validated on its own with `EventInput`, so one bad event is an
error of that item and the others are kept; the service then applies the rules the types
cannot say (properties size, a timestamp not in the future, whether the contact exists).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, Strict

from webapp.services.events import MAX_BATCH
from webapp.services.events.checks import (
    MAX_MESSAGE_ID,
    MAX_NAME,
    MAX_PROPERTIES_BYTES,
    NAME_PATTERN,
)
from webapp.web.api.explain import Explain
from webapp.web.api.schemas import IsoDateTime, TrueOrFalse

Text = Annotated[str, Explain("must be text")]


class ContactInput(BaseModel):
    """Who did it: the contact's id, or its email or phone (as stored, normalised)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[int, Strict(), Field(ge=1), Explain("must be a positive whole number")] | None = (
        Field(None, description="A contact (lead) id of your workspace; wins over email and phone.")
    )
    email: Text | None = Field(None, description="Matched case-insensitively.")
    phone: Text | None = Field(
        None, description="Any format; local numbers are read in the workspace's country."
    )
    name: Text | None = Field(None, description="Used only when the contact is created.")


class EventInput(BaseModel):
    """One event. Send a `message_id` to make retries safe: an event whose message id your
    workspace already has is answered "duplicate" and not stored again. Without one a
    random id is used, so a retried call without it is stored twice."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        Field(max_length=MAX_NAME, pattern=NAME_PATTERN),
        Explain(
            "must be lowercase words (a-z, 0-9, _) joined by dots, such as cart.abandoned",
            {"string_too_long": f"must be at most {MAX_NAME} characters"},
        ),
    ] = Field(description="What happened, e.g. cart.abandoned, order.placed, user.created.")
    contact: ContactInput = Field(description="Who did it.")
    create_contact: TrueOrFalse = Field(
        False, description="Create the contact when no contact has this email or phone."
    )
    properties: Annotated[dict[str, Any], Explain("must be a JSON object")] | None = Field(
        None,
        description=f"Anything about the event (a JSON object, at most {MAX_PROPERTIES_BYTES} "
        "bytes, no NUL characters).",
    )
    message_id: (
        Annotated[
            str,
            Field(min_length=1, max_length=MAX_MESSAGE_ID),
            Explain(f"must be text of 1 to {MAX_MESSAGE_ID} characters"),
        ]
        | None
    ) = Field(None, description="Your id of this event, for de-duplication.")
    timestamp: Annotated[IsoDateTime, Explain("must be an ISO 8601 date and time")] | None = Field(
        None,
        description="When it happened (ISO 8601; without an offset it is UTC). Default: now. "
        "At most 5 minutes in the future.",
    )


class EventBatch(BaseModel):
    events: list[EventInput] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} events."
    )


class EventRequest(RootModel[EventInput | EventBatch]):
    """One event object, or {"events": [...]} for a batch."""


class EventItemError(BaseModel):
    field: str = Field(description='The field at fault, e.g. "name" or "contact.email".')
    message: str


class EventItemResult(BaseModel):
    index: int = Field(description="0-based position of the event in the request.")
    status: Literal["stored", "duplicate", "error"]
    event_id: int | None = Field(None, description="The stored event (for a duplicate: the first).")
    contact_id: int | None = None
    message_id: str | None = None
    error: EventItemError | None = None


class EventResults(BaseModel):
    results: list[EventItemResult]
    stored: int
    duplicates: int
    errors: int
