"""What makes an event acceptable: its name, properties, message id and time.

Each `check_*` returns the stored form or raises EventInvalid naming the field, with a
message fit for an API answer. The API's models repeat the bounds for its document
(webapp/web/api/event_schemas.py); these checks are the rule, for the API and the
product's own events alike.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime, timedelta

from webapp.core.errors import DomainError

# Lowercase words joined by dots: "cart.abandoned", "order.placed", "user.created".
NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
NAME_RE = re.compile(NAME_PATTERN)
MAX_NAME = 100
MAX_MESSAGE_ID = 200
MAX_PROPERTIES_BYTES = 16 * 1024
MAX_DEPTH = 10  # nesting of the properties object
# A sender's clock may run a little ahead of ours; further ahead is a mistake.
FUTURE_SLACK = timedelta(minutes=5)


class EventInvalid(DomainError):
    """An event that cannot be stored; `field` names what is wrong ("name", "contact.email")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise EventInvalid("name", "is required: a lowercase dotted name such as cart.abandoned")
    if len(value) > MAX_NAME:
        raise EventInvalid("name", f"must be at most {MAX_NAME} characters")
    if not NAME_RE.fullmatch(value):
        raise EventInvalid(
            "name",
            "must be lowercase words (a-z, 0-9, _) joined by dots, such as cart.abandoned",
        )
    return value


def check_properties(value: object) -> dict:
    """A JSON object of at most MAX_PROPERTIES_BYTES (UTF-8, compact), without NUL characters
    (PostgreSQL's text cannot hold them) or non-finite numbers."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventInvalid("properties", "must be a JSON object")
    _check_value(value, 0)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_PROPERTIES_BYTES:
        raise EventInvalid(
            "properties", f"is {size} bytes as JSON; at most {MAX_PROPERTIES_BYTES} are kept"
        )
    return value


def _check_value(value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise EventInvalid("properties", f"nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or "\x00" in key:
                raise EventInvalid("properties", "keys must be text without NUL characters")
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
    elif isinstance(value, str):
        if "\x00" in value:
            raise EventInvalid("properties", "text must not contain NUL characters")
    elif isinstance(value, float) and not math.isfinite(value):
        raise EventInvalid("properties", "numbers must be finite (no NaN or Infinity)")
    elif value is not None and not isinstance(value, bool | int | float):
        raise EventInvalid("properties", "must hold only JSON values")


def check_message_id(value: object) -> str:
    """The sender's id, trimmed; a random one when none is given (so a retried call without
    a message id is stored again: only the sender's own id makes a retry safe)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"gen:{uuid.uuid4().hex}"
    if not isinstance(value, str):
        raise EventInvalid("message_id", "must be text")
    value = value.strip()
    if len(value) > MAX_MESSAGE_ID:
        raise EventInvalid("message_id", f"must be at most {MAX_MESSAGE_ID} characters")
    if "\x00" in value:
        raise EventInvalid("message_id", "must not contain NUL characters")
    return value


def check_timestamp(value: datetime | None, now: datetime) -> datetime:
    """When it happened, in UTC: `now` when not given; a time without a zone is UTC; the
    past is fine, more than FUTURE_SLACK ahead of `now` is refused."""
    if value is None:
        return now
    at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if at > now + FUTURE_SLACK:
        minutes = int(FUTURE_SLACK.total_seconds() // 60)
        raise EventInvalid("timestamp", f"is in the future (more than {minutes} minutes ahead)")
    return at
