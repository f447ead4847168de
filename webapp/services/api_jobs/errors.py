"""The Job API's one refusal."""

from __future__ import annotations

from webapp.core.errors import DomainError


class JobRefused(DomainError):
    """The job cannot be enqueued; `field` names what is at fault ("kind", "payload.contact_id")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
