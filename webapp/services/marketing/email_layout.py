"""The workspace's email layout: a responsive, email-client-safe HTML frame in the brand's
colours around a message's body, with the unsubscribe link in its footer.

Mail clients drop <style> blocks and external CSS, so the frame is tables with every style
inlined by `css-inline` (the @media rule for small screens stays in the head, for the clients
that keep it); it is 600 px at most, dark text on a light card, and loads nothing from
outside except the workspace's own logo. The frame is inlined ONCE per brand (cached) and
split at its slots, so wrapping a message is a join of strings: the broadcast hot path pays
for the substitution only. Everything put in a slot is escaped here except the body, which
callers build from escaped text (`messaging.templating.text_to_html`, the asset writer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import css_inline
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import BrandProfile, LandingPage, Organization
from webapp.services.marketing.brand import palette
from webapp.services.marketing.brief import DEFAULT_ACCENT, DEFAULT_PRIMARY
from webapp.services.messaging import URL, text_to_html

SLOTS = ("TITLE", "PREHEADER", "BODY", "FOOTER")
_SLOT = "ma-slot-{}-q7"  # letters, digits and "-" only: css-inline leaves them as they are
CSS = """
body { margin: 0; padding: 0; background: #f3f4f6; }
.wrap { background: #f3f4f6; width: 100%; }
.card { width: 100%; max-width: 600px; background: #ffffff; border-radius: 8px; }
.head { background: {primary}; color: {on_primary}; padding: 20px 28px; font-size: 20px;
        font-weight: bold; font-family: Helvetica, Arial, sans-serif; border-radius: 8px 8px 0 0; }
.body { padding: 24px 28px; color: #1f2937; font-size: 16px; line-height: 1.55;
        font-family: Helvetica, Arial, sans-serif; }
.foot { padding: 16px 28px 24px; color: #4b5563; font-size: 12px; line-height: 1.5;
        font-family: Helvetica, Arial, sans-serif; border-top: 1px solid #e5e7eb; }
.foot a { color: #374151; text-decoration: underline; }
.preheader { display: none; max-height: 0; overflow: hidden; mso-hide: all; }
.logo { display: block; border: 0; height: 48px; width: auto; margin: 0 0 8px 0; }
"""
MEDIA = (
    "@media only screen and (max-width: 620px) { .card { border-radius: 0 !important; } "
    ".body, .head, .foot { padding-left: 16px !important; padding-right: 16px !important; } }"
)
# The body's own tags get the frame's styles by a plain replace (they are built by us).
_BODY_TAGS = {
    "<p>": '<p style="margin: 0 0 16px 0;">',
    '<a class="button" href=': (
        '<a class="button" style="display: inline-block; background: {accent}; '
        "color: {on_accent}; padding: 12px 22px; border-radius: 6px; text-decoration: none; "
        'font-weight: bold;" href='
    ),
    "<a href=": '<a style="color: {link};" href=',
}


@dataclass(frozen=True)
class LayoutBrand:
    """What the frame shows of a workspace: its name, colours, language and footer lines."""

    business_name: str
    primary: str = "#1d4ed8"
    accent: str = "#f59e0b"
    language: str = "en"
    logo_url: str = ""  # the workspace's own logo (the only outside request), or ""
    postal_address: str = ""
    website: str = ""


@dataclass(frozen=True)
class EmailLayout:
    """A compiled frame: its fixed pieces between the slots, and the body tags' styles."""

    pieces: tuple[str, ...]  # len(SLOTS) + 1
    body_tags: tuple[tuple[str, str], ...]
    business_name: str
    postal_address: str = ""  # also for the plain-text part's footer

    def wrap(
        self,
        body_html: str,
        *,
        subject: str = "",
        preheader: str = "",
        unsubscribe_url: str = "",
        pixel_url: str = "",
        note: str = "",
    ) -> str:
        """The whole email: `body_html` (already safe HTML) in the frame. The subject,
        preheader and `note` (the footer's line instead of "You receive this from …") are
        escaped; with `unsubscribe_url` the footer carries the link."""
        for plain, styled in self.body_tags:
            body_html = body_html.replace(plain, styled)
        footer = escape(note or f"You receive this from {self.business_name}.")
        if unsubscribe_url:
            footer += (
                f' <a href="{escape(unsubscribe_url)}" '
                'style="color: #374151; text-decoration: underline;">Unsubscribe</a>'
            )
        if pixel_url:
            footer += f'<img src="{escape(pixel_url)}" width="1" height="1" alt="">'
        values = (escape(subject), escape(preheader), body_html, footer)
        p = self.pieces
        out = [p[0]]
        for value, piece in zip(values, p[1:], strict=True):
            out.append(value)
            out.append(piece)
        return "".join(out)


def _css(brand: LayoutBrand) -> tuple[str, dict]:
    colours = palette(brand.primary, brand.accent)
    values = {
        "primary": colours.primary,
        "on_primary": colours.on_primary,
        "accent": colours.accent,
        "on_accent": colours.on_accent,
        "link": colours.link,
    }
    css = CSS
    for name, value in values.items():
        css = css.replace("{" + name + "}", value)
    return css, values


def _frame(brand: LayoutBrand, css: str) -> str:
    slot = {name: _SLOT.format(name.lower()) for name in SLOTS}
    logo = (
        f'<img class="logo" src="{escape(brand.logo_url)}" alt="{escape(brand.business_name)}" '
        'height="48">'
        if brand.logo_url
        else ""
    )
    lines = [escape(line) for line in brand.postal_address.splitlines() if line.strip()]
    if brand.website:
        lines.append(f'<a href="{escape(brand.website)}">{escape(brand.website)}</a>')
    extra = "".join(f"<br>{line}" for line in lines)
    table = 'role="presentation" cellpadding="0" cellspacing="0" border="0"'
    return (
        f'<!DOCTYPE html><html lang="{escape(brand.language or "en")}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light"><meta name="supported-color-schemes" '
        f'content="light"><title>{slot["TITLE"]}</title><style>{css}{MEDIA}</style></head>'
        f'<body><div class="preheader">{slot["PREHEADER"]}</div>'
        f'<table class="wrap" {table} width="100%"><tr><td align="center" style="padding: 24px 8px;">'
        f'<table class="card" {table} width="600">'
        f'<tr><td class="head">{logo}{escape(brand.business_name)}</td></tr>'
        f'<tr><td class="body">{slot["BODY"]}</td></tr>'
        f'<tr><td class="foot">{slot["FOOTER"]}{extra}</td></tr>'
        "</table></td></tr></table></body></html>"
    )


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@lru_cache(maxsize=256)
def compile_layout(brand: LayoutBrand) -> EmailLayout:
    """The frame of `brand`, inlined and split at its slots (cached: brands rarely change)."""
    css, colours = _css(brand)
    html = _inliner().inline(_frame(brand, css))
    names = tuple(_SLOT.format(n.lower()) for n in SLOTS)
    parts = re.split("(" + "|".join(map(re.escape, names)) + ")", html)
    if tuple(parts[1::2]) != names:
        raise RuntimeError("the email frame lost a slot")  # a css-inline change; tests catch it
    tags = tuple((plain, styled.format(**colours)) for plain, styled in _BODY_TAGS.items())
    return EmailLayout(
        pieces=tuple(parts[0::2]),
        body_tags=tags,
        business_name=brand.business_name,
        postal_address=brand.postal_address,
    )


def body_html(text: str, *, button: bool = False) -> str:
    """Escaped paragraphs from plain text with its web addresses made links; with `button`,
    a paragraph that ends in its only address becomes a call-to-action button (how the
    asset writer's emails end)."""
    if not button:
        return text_to_html(text)
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "\n".join(_paragraph(block) for block in blocks)


def _paragraph(block: str) -> str:
    found = URL.search(block)
    if found and block.strip().endswith(found.group(0)) and len(URL.findall(block)) == 1:
        label = block[: found.start()].strip().rstrip(":").strip() or found.group(0)
        url = escape(found.group(0))
        return f'<p><a class="button" href="{url}">{escape(label)}</a></p>'
    return text_to_html(block)


def layouts_for(session: Session, orgs: list[Organization], public_url: str) -> dict:
    """{org id: EmailLayout} of these workspaces, with one query for their brands (the logo's
    bytes left in the database: the frame only links to it)."""
    if not orgs:
        return {}
    columns = (
        BrandProfile.org_id,
        BrandProfile.primary_color,
        BrandProfile.accent_color,
        BrandProfile.language,
        BrandProfile.postal_address,
        BrandProfile.website,
        BrandProfile.updated_at,
        BrandProfile.logo_mime,
        # The logo is served publicly only while a page is published (landing_pages).
        select(LandingPage.id)
        .where(LandingPage.org_id == BrandProfile.org_id, LandingPage.status == "published")
        .exists()
        .label("logo_public"),
    )
    ids = [org.id for org in orgs]
    brands = {
        row.org_id: row
        for row in session.execute(select(*columns).where(BrandProfile.org_id.in_(ids)))
    }
    return {
        org.id: compile_layout(layout_brand(org, brands.get(org.id), public_url)) for org in orgs
    }


def layout_for(session: Session, org: Organization, public_url: str) -> EmailLayout:
    """The workspace's compiled email frame (see `layouts_for`)."""
    return layouts_for(session, [org], public_url)[org.id]


def layout_brand(org: Organization, brand, public_url: str) -> LayoutBrand:
    """What the frame shows of `org` given its brand row (None: the default colours)."""
    if brand is None:
        return LayoutBrand(business_name=org.name, primary=DEFAULT_PRIMARY, accent=DEFAULT_ACCENT)
    logo = ""
    if brand.logo_mime and brand.logo_public and org.public_slug:
        version = int(brand.updated_at.timestamp()) if brand.updated_at else 0
        logo = f"{public_url.rstrip('/')}/p/{org.public_slug}/logo.png?v={version}"
    return LayoutBrand(
        business_name=org.name,
        primary=brand.primary_color,
        accent=brand.accent_color,
        language=brand.language or "en",
        logo_url=logo,
        postal_address=brand.postal_address or "",
        website=brand.website or "",
    )
