"""Assets as the owner handles them: create (for a campaign or on their own) and queue
their generation, regenerate, choose a variation, edit it, approve it (only approved
assets are used), turn an email sequence into a sequence ready to activate, and list.

Services flush, never commit; the views and the job runner commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.errors import DomainError
from webapp.models import ASSET_TYPES, Asset, Generation, MarketingCampaign
from webapp.services.activity import log_activity
from webapp.services.assets.banner import SIZES
from webapp.services.assets.generation import KIND, TYPE_WORDS
from webapp.services.assets.limits import POST_LIMITS, problems_of

LENGTHS = (15, 30, 60)
# The seed's mapping from campaign type to assets (the landing page is the landing area's).
DEFAULT_ASSETS = {
    "lead_generation": [("email_sequence", {}), ("ad_creative", {"network": "google"})],
    "brand_awareness": [
        ("social_post", {"platform": "instagram"}),
        ("video_script", {"length": 30}),
        ("image", {"size": "1080x1080"}),
    ],
    "client_retention": [("email_sequence", {}), ("voice_ad", {"length": 30})],
    "re_engagement": [("email_sequence", {}), ("social_post", {"platform": "facebook"})],
    "upsell": [("email_sequence", {})],
    "referral": [("email_sequence", {}), ("social_post", {"platform": "linkedin"})],
}
OPTION_CHOICES = {
    "social_post": ("platform", tuple(POST_LIMITS)),
    "ad_creative": ("network", ("google", "meta")),
    "video_script": ("length", LENGTHS),
    "voice_ad": ("length", LENGTHS),
    "image": ("size", tuple(SIZES)),
}
PAGE_SIZE = 20
OPTION_WORDS = {
    "linkedin": "LinkedIn",
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "google": "Google search",
    "meta": "Meta",
    15: "15 s",
    30: "30 s",
    60: "60 s",
    "1200x628": "1200×628",
    "1080x1080": "1080×1080",
    "1080x1920": "1080×1920",
}


class AssetError(DomainError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_options(asset_type: str, options: dict) -> dict:
    """The options of a type, normalised; AssetError naming the field otherwise."""
    if asset_type not in ASSET_TYPES:
        raise AssetError("choose one of " + ", ".join(ASSET_TYPES), "type")
    if asset_type not in OPTION_CHOICES:
        return {}
    name, choices = OPTION_CHOICES[asset_type]
    value = (options or {}).get(name, choices[0] if asset_type != "video_script" else 30)
    if isinstance(choices[0], int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
    if value not in choices:
        raise AssetError(f"choose one of {', '.join(map(str, choices))}", name)
    return {name: value}


def _submit(session: Session, asset: Asset, action: str, round_: int, now: datetime) -> None:
    asset.state, asset.progress, asset.error = "queued", 0, None
    queue.submit(
        session,
        KIND,
        {"asset_id": asset.id, "action": action, "round": round_},
        key=f"asset:{asset.id}:{action}:{round_}:{asset.chosen}:{int(now.timestamp() * 1000)}",
        now=now,
        org_id=asset.org_id,
        lock_key=f"asset:{asset.id}",
    )


def create_asset(
    session: Session,
    org_id: int,
    asset_type: str,
    options: dict,
    *,
    campaign: MarketingCampaign | None,
    actor_id: int | None,
    now: datetime,
    name: str = "",
) -> Asset:
    """A new asset, its generation queued (three variations)."""
    options = check_options(asset_type, options)
    if campaign is not None and campaign.org_id != org_id:
        raise AssetError("no such campaign", "campaign")
    label = TYPE_WORDS[asset_type].capitalize()
    detail = f" ({OPTION_WORDS.get(next(iter(options.values())), '')})" if options else ""
    asset = Asset(
        org_id=org_id,
        marketing_campaign_id=campaign.id if campaign else None,
        type=asset_type,
        name=(name.strip() or f"{label}{detail}" + (f" – {campaign.name}" if campaign else ""))[
            :160
        ],
        options=options,
        content={"round": 0},
        chosen=0,
        status="draft",
        state="queued",
        progress=0,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(asset)
    session.flush()
    _submit(session, asset, "generate", 0, now)
    return asset


def generate_for_campaign(
    session: Session,
    org_id: int,
    campaign: MarketingCampaign,
    *,
    actor_id: int | None,
    now: datetime,
) -> list[Asset]:
    """The campaign type's default assets, each queued; those it already has are skipped."""
    have = {
        (t, tuple(sorted((o or {}).items())))
        for t, o in session.execute(
            select(Asset.type, Asset.options).where(
                Asset.org_id == org_id, Asset.marketing_campaign_id == campaign.id
            )
        )
    }
    made = []
    for asset_type, options in DEFAULT_ASSETS.get(campaign.type, DEFAULT_ASSETS["lead_generation"]):
        if (asset_type, tuple(sorted(options.items()))) not in have:
            made.append(
                create_asset(
                    session,
                    org_id,
                    asset_type,
                    options,
                    campaign=campaign,
                    actor_id=actor_id,
                    now=now,
                )
            )
    return made


def regenerate(session: Session, asset: Asset, *, actor_id: int | None, now: datetime) -> None:
    """Three new variations (the next round of the seeded writer, or new OpenAI answers)."""
    if asset.state in ("queued", "running"):
        raise AssetError("this asset is being written; wait until it is ready")
    round_ = int((asset.content or {}).get("round", 0)) + 1
    asset.content = {**(asset.content or {}), "round": round_}
    asset.status, asset.approved_at, asset.updated_at = "draft", None, now
    _submit(session, asset, "regenerate", round_, now)
    log_activity(
        session,
        asset.org_id,
        "asset.regenerated",
        f"New variations requested for “{asset.name}”.",
        now=now,
        entity=("asset", asset.id),
        actor_id=actor_id,
    )


def variations(asset: Asset) -> list[dict]:
    return list((asset.content or {}).get("variations") or [])


def current(asset: Asset) -> dict:
    found = variations(asset)
    return found[asset.chosen] if 0 <= asset.chosen < len(found) else {}


def choose(
    session: Session, asset: Asset, index: int, *, actor_id: int | None, now: datetime
) -> None:
    if not 0 <= index < len(variations(asset)):
        raise AssetError("no such variation", "variation")
    if index == asset.chosen:
        return
    asset.chosen, asset.status, asset.approved_at, asset.updated_at = index, "draft", None, now
    if asset.type in ("voice_ad", "image"):
        _submit(session, asset, "file", int((asset.content or {}).get("round", 0)), now)
    session.flush()


def edit(
    session: Session, asset: Asset, content: dict, *, actor_id: int | None, now: datetime
) -> list[str]:
    """Replace the chosen variation's words; returns the limits the edit breaks (saved
    anyway, shown as warnings; such an asset cannot be approved). An edit of an approved
    asset makes it a draft again."""
    found = variations(asset)
    if not found:
        raise AssetError("this asset has no variation yet")
    found[asset.chosen] = {**found[asset.chosen], **content}
    asset.content = {**asset.content, "variations": found}
    asset.status, asset.approved_at, asset.updated_at = "draft", None, now
    if asset.type in ("voice_ad", "image"):
        _submit(session, asset, "file", int(asset.content.get("round", 0)), now)
    session.flush()
    log_activity(
        session,
        asset.org_id,
        "asset.edited",
        f"“{asset.name}” edited.",
        now=now,
        entity=("asset", asset.id),
        actor_id=actor_id,
    )
    return problems_of(asset.type, found[asset.chosen])


def approve(session: Session, asset: Asset, *, actor_id: int | None, now: datetime) -> None:
    if asset.state != "done" or not current(asset):
        raise AssetError("wait until the asset is written")
    problems = problems_of(asset.type, current(asset))
    if problems:
        raise AssetError("fix it first: " + "; ".join(problems[:3]))
    asset.status, asset.approved_at, asset.updated_at = "approved", now, now
    session.flush()
    log_activity(
        session,
        asset.org_id,
        "asset.approved",
        f"“{asset.name}” approved.",
        now=now,
        entity=("asset", asset.id),
        actor_id=actor_id,
    )


def unapprove(session: Session, asset: Asset, *, actor_id: int | None, now: datetime) -> None:
    asset.status, asset.approved_at, asset.updated_at = "draft", None, now
    session.flush()


@dataclass(frozen=True)
class AssetFilter:
    campaign_id: int | None = None
    type: str | None = None
    status: str | None = None


def list_assets(
    session: Session, org_id: int, filters: AssetFilter = AssetFilter(), page: int = 1
) -> tuple[list[Asset], int]:
    """A page of the workspace's assets, newest first, and how many match."""
    where = [Asset.org_id == org_id]
    if filters.campaign_id:
        where.append(Asset.marketing_campaign_id == filters.campaign_id)
    if filters.type:
        where.append(Asset.type == filters.type)
    if filters.status:
        where.append(Asset.status == filters.status)
    total = session.scalar(select(func.count(Asset.id)).where(*where)) or 0
    rows = session.scalars(
        select(Asset)
        .where(*where)
        .order_by(Asset.created_at.desc(), Asset.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    return list(rows), total


def approved_assets(session: Session, org_id: int, campaign_id: int) -> list[Asset]:
    """The campaign's approved assets: the only ones anything else uses."""
    return list(
        session.scalars(
            select(Asset)
            .where(
                Asset.org_id == org_id,
                Asset.marketing_campaign_id == campaign_id,
                Asset.status == "approved",
            )
            .order_by(Asset.id)
        )
    )


def generations_of(session: Session, asset: Asset) -> list[Generation]:
    return list(
        session.scalars(
            select(Generation)
            .where(Generation.org_id == asset.org_id, Generation.asset_id == asset.id)
            .order_by(Generation.id.desc())
            .limit(20)
        )
    )
