"""All models, imported here so Alembic and `db.create_all()` see every table."""

from webapp.models.activity import ActivityLog
from webapp.models.ads import AD_PROVIDERS, AdPlatformLink
from webapp.models.alert import HealthAlert
from webapp.models.analytics import (
    REPORT_SCHEDULES,
    REPORT_TYPES,
    AnalyticsReport,
    AnalyticsReportRun,
)
from webapp.models.asset import ASSET_TYPES, Asset, Generation, PromptTemplate
from webapp.models.autopilot import DEFAULT_RULES, AiCall, AutopilotConfig
from webapp.models.broadcast import BROADCAST_STATUSES, Broadcast
from webapp.models.campaign import CHANNELS, BudgetChange, Campaign, CampaignMetric, CampaignTask
from webapp.models.chat import CHAT_ACTIONS, ChatIntent, ChatModel, ChatSettings
from webapp.models.coach import CoachFollowup, CoachSettings, Conversation, ConversationMessage
from webapp.models.credential import IntegrationCredential
from webapp.models.event import EVENT_SOURCES, Event
from webapp.models.health_row import WorkspaceHealthRow
from webapp.models.integration import CircuitBreaker, TokenBucket
from webapp.models.landing_page import PAGE_STATUSES, LandingPage, LandingPageDay
from webapp.models.lead import LEAD_STATUSES, ApiKey, Lead, LeadEvent
from webapp.models.marketing import (
    CAMPAIGN_STATUSES,
    CAMPAIGN_TYPES,
    BrandProfile,
    MarketingCampaign,
)
from webapp.models.org import ROLES, Invite, Membership, Organization
from webapp.models.provisioning import ProvisioningRun, ProvisioningStep, WorkspacePlan
from webapp.models.queue import QueuedJob
from webapp.models.ratelimit import RateLimitHit
from webapp.models.report import OutboxMessage, WeeklyReport
from webapp.models.results import ResultsStamp
from webapp.models.scheduler import HealthProbe, JobRun, SchedulerLock, SchedulerNode
from webapp.models.segment import ATTRIBUTE_TYPES, CustomField, LeadTag, Segment, SegmentMember
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.models.suppression import BounceEvent, Suppression
from webapp.models.user import FormSubmission, PasswordReset, User, UserSession
from webapp.models.workflow import (
    Workflow,
    WorkflowExecution,
    WorkflowStepLog,
    WorkflowVersion,
)

__all__ = [
    "AD_PROVIDERS",
    "AdPlatformLink",
    "PAGE_STATUSES",
    "LandingPage",
    "LandingPageDay",
    "ASSET_TYPES",
    "Asset",
    "Generation",
    "PromptTemplate",
    "CAMPAIGN_STATUSES",
    "CAMPAIGN_TYPES",
    "BrandProfile",
    "MarketingCampaign",
    "Workflow",
    "WorkflowExecution",
    "WorkflowStepLog",
    "WorkflowVersion",
    "BROADCAST_STATUSES",
    "Broadcast",
    "ATTRIBUTE_TYPES",
    "CustomField",
    "LeadTag",
    "Segment",
    "SegmentMember",
    "CHANNELS",
    "DEFAULT_RULES",
    "EVENT_SOURCES",
    "LEAD_STATUSES",
    "ROLES",
    "ActivityLog",
    "AiCall",
    "ApiKey",
    "AutopilotConfig",
    "BudgetChange",
    "CircuitBreaker",
    "Event",
    "HealthAlert",
    "IntegrationCredential",
    "TokenBucket",
    "Campaign",
    "CampaignMetric",
    "CampaignTask",
    "CoachFollowup",
    "CoachSettings",
    "Conversation",
    "CHAT_ACTIONS",
    "ChatIntent",
    "ChatModel",
    "ChatSettings",
    "ConversationMessage",
    "Lead",
    "LeadEvent",
    "OutboxMessage",
    "FormSubmission",
    "PasswordReset",
    "WeeklyReport",
    "ResultsStamp",
    "Invite",
    "HealthProbe",
    "JobRun",
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
    "UserSession",
    "WorkspacePlan",
    "BounceEvent",
    "Suppression",
    "WorkspaceHealthRow",
    "AnalyticsReport",
    "AnalyticsReportRun",
    "REPORT_SCHEDULES",
    "REPORT_TYPES",
]
