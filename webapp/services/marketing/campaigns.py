"""Creating, editing and listing marketing campaigns. Every field the rules refuse is a
CampaignError naming it, so a form shows it beside the field and the API in `fields`.
Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import CHANNELS, MarketingCampaign, Organization
from webapp.models.marketing import CAMPAIGN_STATUSES, CAMPAIGN_TYPES
from webapp.services.activity import log_activity

TYPE_LABELS = {
    "lead_generation": "Lead generation",
    "brand_awareness": "Brand awareness",
    "client_retention": "Client retention",
    "re_engagement": "Re-engagement",
    "upsell": "Upsell",
    "referral": "Referral",
}
assert set(TYPE_LABELS) == set(CAMPAIGN_TYPES)
MAX_BUDGET = Decimal("10000000")
MAX_OBJECTIVE = 2000
MAX_OFFER = 300
PAGE_SIZE = 20
# A finished campaign is a record of what ran: it is not edited any more.
FROZEN = ("completed", "archived")
# Once a campaign has started, its start date is history.
STARTED = ("active", "paused", "completed", "archived")


class CampaignError(DomainError):
    """A campaign the rules refuse; `field` names the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def type_label(value: str) -> str:
    return TYPE_LABELS.get(value, value.replace("_", " ").capitalize())


def _date(value: object, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CampaignError("Give a date as YYYY-MM-DD.", field) from None


def _budget(value: object) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    if isinstance(value, bool):
        raise CampaignError("Give the budget as a number, such as 1500 or 1500.50.", "budget")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise CampaignError(
            "Give the budget as a number, such as 1500 or 1500.50.", "budget"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise CampaignError("The budget cannot be negative.", "budget")
    if amount > MAX_BUDGET:
        raise CampaignError("Keep the budget under 10,000,000.", "budget")
    return amount.quantize(Decimal("0.01"))


def _channels(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        raise CampaignError("Give the channels as a list of channel names.", "channels")
    unknown = [c for c in value if c not in CHANNELS]
    if unknown:
        raise CampaignError(
            f"{unknown[0]!r} is not a channel; choose from {', '.join(CHANNELS)}.", "channels"
        )
    return [c for c in CHANNELS if c in value]  # one each, in the product's order


def checked(fields: dict, *, today: date | None = None) -> dict:
    """The campaign's fields as stored, or CampaignError naming the first field at fault.

    `today` (the workspace's date) refuses an end date already past for a new campaign."""
    name = " ".join(str(fields.get("name") or "").split())
    if not name:
        raise CampaignError("Give the campaign a name.", "name")
    if len(name) > 120:
        raise CampaignError("Keep the name to 120 characters or fewer.", "name")
    kind = fields.get("type") or ""
    if kind not in CAMPAIGN_TYPES:
        raise CampaignError("Choose one of: " + ", ".join(CAMPAIGN_TYPES) + ".", "type")
    objective = str(fields.get("objective") or "").strip()
    if not objective:
        raise CampaignError(
            "Say in a sentence what the campaign should achieve, in your own words.", "objective"
        )
    if len(objective) > MAX_OBJECTIVE:
        raise CampaignError(f"Keep the objective to {MAX_OBJECTIVE} characters.", "objective")
    starts_on = _date(fields.get("starts_on"), "starts_on")
    ends_on = _date(fields.get("ends_on"), "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise CampaignError("The end date is before the start date.", "ends_on")
    if today is not None and ends_on and ends_on < today:
        raise CampaignError("The end date has already passed.", "ends_on")
    offer = str(fields.get("offer") or "").strip()
    if len(offer) > MAX_OFFER:
        raise CampaignError(f"Keep the offer to {MAX_OFFER} characters.", "offer")
    return {
        "name": name,
        "type": kind,
        "objective": objective,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "budget": _budget(fields.get("budget")),
        "channels": _channels(fields.get("channels")),
        "offer": offer,
    }


def create_campaign(
    session: Session, org: Organization, fields: dict, *, actor_id: int | None, now: datetime
) -> MarketingCampaign:
    """A new draft campaign. Raises CampaignError naming the field at fault."""
    ok = checked(fields, today=local_today(org, now))
    offer = ok.pop("offer")
    campaign = MarketingCampaign(
        org_id=org.id,
        status="draft",
        settings={"offer": offer} if offer else {},
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
        **ok,
    )
    session.add(campaign)
    session.flush()
    log_activity(
        session,
        org,
        "marketing.campaign_created",
        f"Campaign “{campaign.name}” ({type_label(campaign.type)}) drafted.",
        now=now,
        entity=("marketing_campaign", campaign.id),
        details={"type": campaign.type, "budget": str(campaign.budget)},
        actor_id=actor_id,
    )
    return campaign


def update_campaign(
    session: Session,
    org: Organization,
    campaign: MarketingCampaign,
    fields: dict,
    *,
    actor_id: int | None,
    now: datetime,
) -> list[str]:
    """Apply the edited fields; returns the names of those that changed."""
    if campaign.status in FROZEN:
        raise CampaignError(
            f"The campaign is {campaign.status}; a finished campaign cannot be edited.", "status"
        )
    ok = checked(fields)
    if campaign.status in STARTED and ok["starts_on"] != campaign.starts_on:
        raise CampaignError("The campaign has started; its start date cannot change.", "starts_on")
    today = local_today(org, now)
    if ok["ends_on"] and ok["ends_on"] != campaign.ends_on and ok["ends_on"] < today:
        raise CampaignError("The end date has already passed.", "ends_on")
    if campaign.status == "scheduled" and not ok["starts_on"]:
        raise CampaignError("A scheduled campaign needs its start date.", "starts_on")
    moved = ok["starts_on"] != campaign.starts_on
    if campaign.status == "scheduled" and moved and ok["starts_on"] < today:
        raise CampaignError("That start date has passed; choose today or later.", "starts_on")
    settings = dict(campaign.settings or {})
    offer = ok.pop("offer")
    changed = [name for name, value in ok.items() if getattr(campaign, name) != value]
    if settings.get("offer", "") != offer:
        changed.append("offer")
        settings["offer"] = offer
    if not changed:
        return []
    for name, value in ok.items():
        setattr(campaign, name, value)
    campaign.settings = settings
    campaign.updated_at = now
    session.flush()
    log_activity(
        session,
        org,
        "marketing.campaign_updated",
        f"Campaign “{campaign.name}” edited: {', '.join(n.replace('_', ' ') for n in changed)}.",
        now=now,
        entity=("marketing_campaign", campaign.id),
        details={"changed": changed},
        actor_id=actor_id,
    )
    return changed


def local_today(org: Organization, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(org.timezone or "UTC")).date()


@dataclass(frozen=True)
class CampaignPage:
    rows: list[MarketingCampaign]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def list_campaigns(
    session: Session,
    org_id: int,
    *,
    status: str | None = None,
    type: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> CampaignPage:
    """One page of the workspace's campaigns, newest first. `status` None lists all but the
    archived ones (they are put away), "all" every one, otherwise that status only."""
    where = [MarketingCampaign.org_id == org_id]
    if status is None:
        where.append(MarketingCampaign.status != "archived")
    elif status != "all":
        where.append(MarketingCampaign.status == status)
    if type:
        where.append(MarketingCampaign.type == type)
    total = session.scalar(select(func.count()).select_from(MarketingCampaign).where(*where)) or 0
    rows = session.scalars(
        select(MarketingCampaign)
        .where(*where)
        .order_by(MarketingCampaign.created_at.desc(), MarketingCampaign.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return CampaignPage(list(rows), page, per_page, int(total))


def status_counts(session: Session, org_id: int) -> dict[str, int]:
    rows = session.execute(
        select(MarketingCampaign.status, func.count())
        .where(MarketingCampaign.org_id == org_id)
        .group_by(MarketingCampaign.status)
    ).all()
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in CAMPAIGN_STATUSES}
