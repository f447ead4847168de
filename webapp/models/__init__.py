"""All models, imported here so Alembic and `db.create_all()` see every table."""

from webapp.models.activity import ActivityLog
from webapp.models.alert import HealthAlert
from webapp.models.autopilot import DEFAULT_RULES, AiCall, AutopilotConfig
from webapp.models.campaign import CHANNELS, BudgetChange, Campaign, CampaignMetric, CampaignTask
from webapp.models.coach import CoachFollowup, CoachSettings, Conversation, ConversationMessage
from webapp.models.credential import IntegrationCredential
from webapp.models.integration import CircuitBreaker, TokenBucket
from webapp.models.lead import LEAD_STATUSES, ApiKey, Lead, LeadEvent
from webapp.models.org import ROLES, Invite, Membership, Organization
from webapp.models.provisioning import ProvisioningRun, ProvisioningStep, WorkspacePlan
from webapp.models.queue import QueuedJob
from webapp.models.ratelimit import RateLimitHit
from webapp.models.report import OutboxMessage, WeeklyReport
from webapp.models.scheduler import JobRun, SchedulerLock, SchedulerNode
from webapp.models.sequence import Enrollment, Send, SequenceStep
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
    "CircuitBreaker",
    "HealthAlert",
    "IntegrationCredential",
    "TokenBucket",
    "Campaign",
    "CampaignMetric",
    "CampaignTask",
    "CoachFollowup",
    "CoachSettings",
    "Conversation",
    "ConversationMessage",
    "Lead",
    "LeadEvent",
    "OutboxMessage",
    "WeeklyReport",
    "Invite",
    "JobRun",
    "LoginFailure",
    "Membership",
    "Organization",
    "ProvisioningRun",
    "ProvisioningStep",
    "QueuedJob",
    "RateLimitHit",
    "SchedulerLock",
    "SchedulerNode",
    "Enrollment",
    "Send",
    "SequenceStep",
    "User",
    "WorkspacePlan",
]
