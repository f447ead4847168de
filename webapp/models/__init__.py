"""All models, imported here so Alembic and `db.create_all()` see every table."""

from webapp.models.activity import ActivityLog
from webapp.models.autopilot import DEFAULT_RULES, AiCall, AutopilotConfig
from webapp.models.campaign import CHANNELS, BudgetChange, Campaign, CampaignMetric, CampaignTask
from webapp.models.lead import LEAD_STATUSES, ApiKey, Lead, LeadEvent
from webapp.models.org import ROLES, Invite, Membership, Organization
from webapp.models.queue import QueuedJob
from webapp.models.report import OutboxMessage, WeeklyReport
from webapp.models.scheduler import JobRun, SchedulerLock, SchedulerNode
from webapp.models.user import LoginFailure, User

__all__ = [
    "CHANNELS",
    "DEFAULT_RULES",
    "LEAD_STATUSES",
    "ROLES",
    "ActivityLog",
    "AiCall",
    "ApiKey",
    "AutopilotConfig",
    "BudgetChange",
    "Campaign",
    "CampaignMetric",
    "CampaignTask",
    "Lead",
    "LeadEvent",
    "OutboxMessage",
    "WeeklyReport",
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
