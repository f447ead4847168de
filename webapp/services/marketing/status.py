"""A campaign's life: draft → scheduled → active → paused → completed → archived, with only
the moves that make sense, and the scheduler's tick that starts scheduled campaigns on their
start date and completes active ones after their end date, in the workspace's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import MarketingCampaign, Organization
from webapp.services.activity import log_activity
from webapp.services.marketing.campaigns import CampaignError, local_today
from webapp.services.marketing.paid_media import follow_status

# Where each status may go. Archived is the end: the campaign is put away for the record.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("scheduled", "active", "archived"),
    "scheduled": ("draft", "active", "archived"),
    "active": ("paused", "completed"),
    "paused": ("active", "completed"),
    "completed": ("archived",),
    "archived": (),
}
# The words of a move, for buttons and the activity feed.
VERBS = {
    ("draft", "scheduled"): "scheduled",
    ("draft", "active"): "started",
    ("draft", "archived"): "archived",
    ("scheduled", "draft"): "unscheduled (back to draft)",
    ("scheduled", "active"): "started",
    ("scheduled", "archived"): "archived",
    ("active", "paused"): "paused",
    ("active", "completed"): "completed",
    ("paused", "active"): "resumed",
    ("paused", "completed"): "completed",
    ("completed", "archived"): "archived",
}
BUTTONS = {
    "scheduled": "Schedule",
    "draft": "Back to draft",
    "active": "Start now",
    "paused": "Pause",
    "completed": "Complete",
    "archived": "Archive",
}


class StatusRefused(CampaignError):
    """A move the status machine does not allow; the message names what is allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "status")


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def button_label(current: str, target: str) -> str:
    if current == "paused" and target == "active":
        return "Resume"
    return BUTTONS[target]


def _refusal(campaign: MarketingCampaign, target: str) -> str:
    allowed = allowed_next(campaign.status)
    then = (
        f"from {campaign.status} it can go to: {', '.join(allowed)}."
        if allowed
        else "an archived campaign stays archived."
    )
    return f"Campaign “{campaign.name}” is {campaign.status}; it cannot become {target} — {then}"


def _check_dates(org: Organization, campaign: MarketingCampaign, target: str, now: datetime):
    today = local_today(org, now)
    if target == "scheduled":
        if campaign.starts_on is None:
            raise StatusRefused("Set a start date before scheduling the campaign.")
        if campaign.starts_on < today:
            raise StatusRefused(
                f"The start date {campaign.starts_on.isoformat()} has passed; choose a new one "
                "or start the campaign now."
            )
    if target == "active" and campaign.ends_on is not None and campaign.ends_on < today:
        raise StatusRefused(
            f"The end date {campaign.ends_on.isoformat()} has passed; move it before starting."
        )


def change_status(
    session: Session,
    org: Organization,
    campaign: MarketingCampaign,
    target: str,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str = "",
) -> MarketingCampaign:
    """Move the campaign to `target`, or StatusRefused saying why and what is allowed."""
    if target not in TRANSITIONS:
        raise StatusRefused(f"{target!r} is not a status; use one of: {', '.join(TRANSITIONS)}.")
    if target not in allowed_next(campaign.status):
        raise StatusRefused(_refusal(campaign, target))
    _check_dates(org, campaign, target, now)
    before = campaign.status
    campaign.status = target
    campaign.updated_at = now
    if target == "active" and campaign.started_at is None:
        campaign.started_at = now
    if target == "completed":
        campaign.completed_at = now
    session.flush()
    follow_status(session, org, campaign, before, target, actor_id=actor_id, now=now)
    verb = VERBS[(before, target)]
    log_activity(
        session,
        org,
        f"marketing.campaign_{target}",
        f"Campaign “{campaign.name}” {verb}{reason}.",
        now=now,
        entity=("marketing_campaign", campaign.id),
        details={"from": before, "to": target},
        actor_id=actor_id,
    )
    return campaign


@dataclass(frozen=True)
class TickResult:
    started: int
    completed: int


def run_due(session: Session, *, now: datetime, org_id: int | None = None) -> TickResult:
    """Start the scheduled campaigns whose start date has come and complete the active or
    paused ones whose end date has passed, each by its workspace's calendar.

    A local date is at most a day ahead of UTC, so the query takes dates up to tomorrow (UTC)
    and each workspace's own today decides. Running it twice changes nothing the second time.
    """
    horizon = now.astimezone(ZoneInfo("UTC")).date() + timedelta(days=1)
    m = MarketingCampaign
    query = (
        select(m, Organization)
        .join(Organization, Organization.id == m.org_id)
        .where(
            ((m.status == "scheduled") & (m.starts_on <= horizon))
            | (m.status.in_(("active", "paused")) & (m.ends_on < horizon))
        )
        .order_by(m.id)
    )
    if org_id is not None:
        query = query.where(m.org_id == org_id)
    started = completed = 0
    for campaign, org in session.execute(query).all():
        today = local_today(org, now)
        if campaign.status == "scheduled" and campaign.starts_on <= today:
            if campaign.ends_on is not None and campaign.ends_on < today:
                _auto(session, org, campaign, "draft", now, ": its dates passed before it ran")
                continue
            _auto(session, org, campaign, "active", now, " on its start date")
            started += 1
        elif campaign.status in ("active", "paused") and campaign.ends_on < today:
            _auto(session, org, campaign, "completed", now, " after its end date")
            completed += 1
    return TickResult(started, completed)


def _auto(session, org, campaign, target, now, reason) -> None:
    change_status(session, org, campaign, target, actor_id=None, now=now, reason=reason)
