"""One rendering of a landing page, for the public address and the signed-in preview alike."""

from __future__ import annotations

from flask import current_app, url_for

from webapp.core.extensions import db
from webapp.models import LandingPage, Organization
from webapp.services.landing_pages import ui_text
from webapp.services.marketing import brand_of, brand_palette, png_size

LOGO_HEIGHT_MAX = 56  # px the logo is shown at most; width follows its proportions


def logo_box(width: int, height: int) -> tuple[int, int]:
    """The logo's shown size: at most 56 px high and 220 px wide, proportions kept."""
    scale = min(1.0, LOGO_HEIGHT_MAX / height, 220 / width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def render_public(name: str, **context) -> str:
    """A public template rendered without the app's context processors: they read the
    signed-in user and the session, and the public pages must touch neither (no cookie)."""
    return current_app.jinja_env.get_template(name).render(**context)


def brand_look(org: Organization) -> dict:
    """The business's look for a public page: its brand, colours and logo (or None)."""
    brand = brand_of(db.session, org.id)
    logo = None
    if brand is not None and brand.logo and org.public_slug:
        width, height = logo_box(*png_size(brand.logo))
        src = url_for(
            "landing_public.logo",
            workspace_slug=org.public_slug,
            v=int(brand.updated_at.timestamp()),
        )
        logo = {"src": src, "width": width, "height": height}
    return {"brand": brand, "colours": brand_palette(brand), "logo": logo}


def render_page(
    org: Organization,
    page: LandingPage,
    *,
    preview: bool = False,
    sent: bool = False,
    errors: dict | None = None,
    values: dict | None = None,
    message: str | None = None,
) -> str:
    look = brand_look(org)
    ui = ui_text(page.language)
    action = (
        url_for("landing_public.show", workspace_slug=org.public_slug, page_slug=page.slug)
        if org.public_slug
        else ""
    )
    return render_public(
        "landing_pages/public.html",
        org=org,
        page=page,
        s=page.sections,
        **look,
        logo_alt=ui["logo_alt"].format(name=org.name),
        ui=ui,
        preview=preview,
        sent=sent,
        errors=errors or {},
        values=values or {},
        message=message,
        action=action,
    )
