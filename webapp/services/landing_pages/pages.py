"""Creating, editing, re-drafting, publishing and finding landing pages.

A page belongs to one workspace and is found publicly by the workspace's public slug and
its own slug together, only while published: another workspace's slug never reaches it.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import BrandProfile, LandingPage, MarketingCampaign, Organization
from webapp.services.activity import log_activity
from webapp.services.landing_pages.copy import draft_sections
from webapp.services.marketing import brief_for, ensure_public_slug, slugify

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
MAX_TESTIMONIALS = 3
TEXT_LIMITS = {"headline": 120, "subline": 300, "cta": 40, "title": 120, "text": 400}


class PageInvalid(DomainError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _slug_taken(session: Session, org_id: int, slug: str, page_id: int | None) -> bool:
    query = select(func.count()).where(LandingPage.org_id == org_id, LandingPage.slug == slug)
    if page_id is not None:
        query = query.where(LandingPage.id != page_id)
    return session.scalar(query) > 0


def _free_slug(session: Session, org_id: int, text: str) -> str:
    base = slugify(text)[:55]
    slug, n = base, 1
    while _slug_taken(session, org_id, slug, None):
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_page(
    session: Session,
    org: Organization,
    *,
    campaign: MarketingCampaign | None,
    actor_id: int | None,
    now: datetime,
) -> LandingPage:
    """A draft page with copy drafted from the business's (and the campaign's) brief."""
    brief = brief_for(session, org, campaign)
    title = campaign.name if campaign else org.name
    page = LandingPage(
        org_id=org.id,
        marketing_campaign_id=campaign.id if campaign else None,
        slug=_free_slug(session, org.id, title),
        title=title[:120],
        language=brief.language,
        sections=draft_sections(brief, 0, brief.language),
        variation=0,
        status="draft",
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(page)
    session.flush()
    log_activity(
        session,
        org,
        "landing_page.created",
        f"Landing page “{page.title}” drafted.",
        now=now,
        entity=("landing_page", page.id),
        actor_id=actor_id,
    )
    return page


def redraft(
    session: Session, org: Organization, page: LandingPage, *, actor_id: int | None, now: datetime
) -> LandingPage:
    """New copy (the next variation, in the brand's language) for every section but the
    owner's testimonials."""
    campaign = (
        session.get(MarketingCampaign, page.marketing_campaign_id)
        if page.marketing_campaign_id
        else None
    )
    page.variation += 1
    brief = brief_for(session, org, campaign)
    page.language = brief.language  # the brand's language now, should the owner have changed it
    fresh = draft_sections(brief, page.variation, page.language)
    fresh["testimonials"] = (page.sections or {}).get("testimonials") or fresh["testimonials"]
    page.sections = fresh
    page.updated_at = now
    session.flush()
    log_activity(
        session,
        org,
        "landing_page.redrafted",
        f"New copy drafted for the landing page “{page.title}” (draft {page.variation + 1}).",
        now=now,
        entity=("landing_page", page.id),
        actor_id=actor_id,
    )
    return page


def _text(value: object, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def clean_sections(raw: dict) -> dict:
    """The sections in their stored shape: texts trimmed to their limits, empty list entries
    dropped, testimonials kept only when the owner wrote a quote and a name."""
    hero, benefits = raw.get("hero") or {}, raw.get("benefits") or {}
    testimonials, faq, form = (
        raw.get("testimonials") or {},
        raw.get("faq") or {},
        raw.get("form") or {},
    )
    return {
        "hero": {k: _text(hero.get(k), TEXT_LIMITS[k]) for k in ("headline", "subline", "cta")},
        "benefits": {
            "title": _text(benefits.get("title"), 120),
            "items": [
                {"title": _text(i.get("title"), 120), "text": _text(i.get("text"), 400)}
                for i in benefits.get("items") or []
                if _text(i.get("title"), 120) or _text(i.get("text"), 400)
            ][:4],
        },
        "testimonials": {
            "title": _text(testimonials.get("title"), 120),
            "items": [
                {"quote": _text(i.get("quote"), 500), "name": _text(i.get("name"), 120)}
                for i in testimonials.get("items") or []
                if _text(i.get("quote"), 500) and _text(i.get("name"), 120)
            ][:MAX_TESTIMONIALS],
        },
        "faq": {
            "title": _text(faq.get("title"), 120),
            "items": [
                {"q": _text(i.get("q"), 200), "a": _text(i.get("a"), 600)}
                for i in faq.get("items") or []
                if _text(i.get("q"), 200) and _text(i.get("a"), 600)
            ][:6],
        },
        "form": {k: _text(form.get(k), 300) for k in ("title", "intro", "button", "thanks")},
    }


def update_page(
    session: Session,
    page: LandingPage,
    *,
    title: str,
    slug: str,
    sections: dict,
    actor_id: int | None,
    now: datetime,
) -> LandingPage:
    """Save the editor's fields; raises PageInvalid (by field) and changes nothing then."""
    errors: dict[str, str] = {}
    title, slug = _text(title, 120), (slug or "").strip().lower()
    cleaned = clean_sections(sections)
    if not title:
        errors["title"] = "Give the page a name."
    if not SLUG.match(slug) or "--" in slug:
        errors["slug"] = "Use lower-case letters, digits and single hyphens, e.g. spring-offer."
    elif _slug_taken(session, page.org_id, slug, page.id):
        errors["slug"] = "Another page of this workspace has this address."
    for key, label in (("headline", "headline"), ("cta", "button text")):
        if not cleaned["hero"][key]:
            errors[f"hero_{key}"] = f"The page needs a {label}."
    if not cleaned["form"]["button"]:
        errors["form_button"] = "The form needs a button text."
    if len(cleaned["benefits"]["items"]) < 1:
        errors["benefit_1_title"] = "Keep at least one benefit."
    if errors:
        raise PageInvalid(errors)
    page.title, page.slug, page.sections, page.updated_at = title, slug, cleaned, now
    session.flush()
    return page


def set_published(
    session: Session,
    org: Organization,
    page: LandingPage,
    published: bool,
    *,
    actor_id: int | None,
    now: datetime,
) -> str:
    """Publish (giving the workspace its public slug on first need) or unpublish; returns
    the page's public path."""
    path = f"/p/{ensure_public_slug(session, org)}/{page.slug}"
    if published and page.status != "published":
        page.status, page.published_at = "published", now
        verb = f"published at {path}"
    elif not published and page.status == "published":
        page.status = "draft"
        verb = "unpublished; its address now answers “not found”"
    else:
        return path
    page.updated_at = now
    session.flush()
    log_activity(
        session,
        org,
        "landing_page.published" if published else "landing_page.unpublished",
        f"Landing page “{page.title}” {verb}.",
        now=now,
        entity=("landing_page", page.id),
        actor_id=actor_id,
    )
    return path


def published_page(
    session: Session, workspace_slug: str, page_slug: str
) -> tuple[Organization, LandingPage] | None:
    """The published page at /p/<workspace_slug>/<page_slug>, or None."""
    row = session.execute(
        select(Organization, LandingPage)
        .join(LandingPage, LandingPage.org_id == Organization.id)
        .where(
            Organization.public_slug == workspace_slug,
            LandingPage.slug == page_slug,
            LandingPage.status == "published",
        )
    ).first()
    return (row[0], row[1]) if row else None


def pages_of(session: Session, org_id: int, *, offset: int = 0, limit: int = 20) -> list:
    return list(
        session.scalars(
            select(LandingPage)
            .where(LandingPage.org_id == org_id)
            .order_by(LandingPage.updated_at.desc(), LandingPage.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def count_pages(session: Session, org_id: int) -> int:
    return session.scalar(select(func.count()).where(LandingPage.org_id == org_id)) or 0


def campaign_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """(id, name) of the workspace's campaigns that are not archived, newest first."""
    rows = session.execute(
        select(MarketingCampaign.id, MarketingCampaign.name)
        .where(MarketingCampaign.org_id == org_id, MarketingCampaign.status != "archived")
        .order_by(MarketingCampaign.id.desc())
        .limit(200)
    )
    return [(row.id, row.name) for row in rows]


def public_logo(session: Session, workspace_slug: str) -> BrandProfile | None:
    """The brand (with its logo) of the workspace at this public slug, only while it has a
    published page: a workspace that shows nothing publicly shows no logo either."""
    published = (
        select(LandingPage.id)
        .where(LandingPage.org_id == Organization.id, LandingPage.status == "published")
        .exists()
    )
    return session.scalars(
        select(BrandProfile)
        .join(Organization, Organization.id == BrandProfile.org_id)
        .where(
            Organization.public_slug == workspace_slug,
            BrandProfile.logo.is_not(None),
            published,
        )
    ).one_or_none()
