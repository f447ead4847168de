"""All models, imported here so Alembic and `db.create_all()` see every table."""

from webapp.models.activity import ActivityLog
from webapp.models.org import ROLES, Invite, Membership, Organization
from webapp.models.queue import QueuedJob
from webapp.models.scheduler import JobRun, SchedulerLock, SchedulerNode
from webapp.models.user import LoginFailure, User

__all__ = [
    "ROLES",
    "ActivityLog",
    "Invite",
    "JobRun",
    "LoginFailure",
    "Membership",
    "Organization",
    "QueuedJob",
    "SchedulerLock",
    "SchedulerNode",
    "User",
]
