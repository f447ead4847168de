"""Domain errors raised by services; the edges translate them (views to 4xx, jobs to a log)."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses, with a message fit to show a person."""


class NotFound(DomainError):
    """No such object in this workspace (or at all): the edges answer 404."""


class PermissionDenied(DomainError):
    """The actor's role does not allow this."""
