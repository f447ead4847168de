"""The workspace's brand: colours (with their WCAG contrast), language, logo, postal
address, website, phone, and the public slug its pages are published under.

A logo is accepted only when its first bytes say PNG or JPEG and Pillow decodes it; it is
stored re-encoded as a PNG at most 600 px wide, so what we serve is always an image we made.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import BrandProfile, Organization
from webapp.models.marketing import LANGUAGES
from webapp.services.activity import log_activity
from webapp.services.marketing.brief import DEFAULT_ACCENT, DEFAULT_PRIMARY

HEX = re.compile(r"^#[0-9a-f]{6}$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,58}[a-z0-9])$")
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_WIDTH = 600
MAX_LOGO_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
AA_NORMAL = 4.5
WHITE, INK = "#ffffff", "#111827"
RESERVED_SLUGS = frozenset({"static", "api", "admin", "login", "p", "f"})


class BrandInvalid(DomainError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass(frozen=True)
class Palette:
    """The colours a page uses, each text colour chosen to pass WCAG AA on its background."""

    primary: str
    accent: str
    on_primary: str  # text on the primary colour
    on_accent: str
    link: str  # the primary when it reads on white, else ink


# --- colours ------------------------------------------------------------------------------


def clean_colour(value: str | None) -> str:
    """ "#1D4ED8 " -> "#1d4ed8"; raises ValueError unless it is #rrggbb."""
    colour = (value or "").strip().lower()
    if not HEX.match(colour):
        raise ValueError("Use a colour like #1d4ed8 (# and six hex digits).")
    return colour


def _luminance(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """White when it passes AA on the background, else whichever of white and ink reads better."""
    if contrast_ratio(WHITE, background) >= AA_NORMAL:
        return WHITE
    return max((WHITE, INK), key=lambda text: contrast_ratio(text, background))


def palette(primary: str, accent: str) -> Palette:
    link = primary if contrast_ratio(primary, WHITE) >= AA_NORMAL else INK
    return Palette(primary, accent, text_on(primary), text_on(accent), link)


def contrast_warning(primary: str) -> str | None:
    """What to tell the owner when white text on their primary colour fails WCAG AA."""
    ratio = contrast_ratio(WHITE, primary)
    if ratio >= AA_NORMAL:
        return None
    return (
        f"White text on {primary} has a contrast of {ratio:.1f}:1, below the 4.5:1 that WCAG AA "
        "asks for, so your pages put dark text on it instead. A darker primary colour keeps "
        "white text readable."
    )


# --- the logo -----------------------------------------------------------------------------


def clean_logo(data: bytes) -> bytes:
    """The upload as a PNG at most 600 px wide; raises ValueError saying what is wrong."""
    if not data:
        raise ValueError("The file is empty.")
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"The logo is {len(data) // 1024} KB; upload one of at most 512 KB.")
    kind = next((name for magic, name in MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValueError("Upload a PNG or JPEG image.")
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as probe:
            width, height = probe.size
            if width * height > MAX_LOGO_PIXELS:
                raise ValueError("The image has too many pixels for a logo.")
            probe.load()
            image = probe.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"The {kind} file could not be read; it may be damaged.") from exc
    if image.width > MAX_LOGO_WIDTH:
        height = max(1, round(image.height * MAX_LOGO_WIDTH / image.width))
        image = image.resize((MAX_LOGO_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header, without decoding it."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# --- the public slug ----------------------------------------------------------------------


def slugify(text: str) -> str:
    folded = text.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:50].strip("-")
    return slug if len(slug) >= 3 else f"{slug or 'shop'}-site"


def clean_public_slug(value: str | None) -> str:
    slug = (value or "").strip().lower()
    if not SLUG.match(slug) or "--" in slug:
        raise ValueError(
            "Use 3 to 60 lower-case letters, digits and single hyphens, e.g. alice-bakes."
        )
    if slug in RESERVED_SLUGS:
        raise ValueError("That address is reserved; choose another.")
    return slug


def _slug_taken(session: Session, slug: str, org_id: int) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.public_slug == slug, Organization.id != org_id)
        )
        > 0
    )


def suggest_public_slug(session: Session, org: Organization) -> str:
    """The workspace's public slug, or the one it would get: its name, numbered when taken."""
    if org.public_slug:
        return org.public_slug
    base = slugify(org.name)
    slug, n = base, 1
    while slug in RESERVED_SLUGS or _slug_taken(session, slug, org.id):
        n += 1
        slug = f"{base[:55]}-{n}"
    return slug


def ensure_public_slug(session: Session, org: Organization) -> str:
    """The workspace's public slug, made from its name on first need (publishing a page)."""
    if not org.public_slug:
        org.public_slug = suggest_public_slug(session, org)
        session.flush()
    return org.public_slug


# --- reading and saving -------------------------------------------------------------------


def brand_of(session: Session, org_id: int) -> BrandProfile | None:
    return session.scalars(select(BrandProfile).where(BrandProfile.org_id == org_id)).one_or_none()


def brand_palette(brand: BrandProfile | None) -> Palette:
    if brand is None:
        return palette(DEFAULT_PRIMARY, DEFAULT_ACCENT)
    return palette(brand.primary_color, brand.accent_color)


def _cleaned(session: Session, org: Organization, fields: dict) -> tuple[dict, dict]:
    """(clean values, errors by field) of the brand form's fields."""
    out, errors = {}, {}
    checks = {
        "primary_color": clean_colour,
        "accent_color": clean_colour,
        "public_slug": clean_public_slug,
        "website": _clean_website,
        "phone": _clean_phone,
    }
    for name, check in checks.items():
        try:
            out[name] = check(fields.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
    language = fields.get("language") or "en"
    if language not in LANGUAGES:
        errors["language"] = "Choose English or German."
    out["language"] = language
    out["postal_address"] = str(fields.get("postal_address") or "").strip()[:500]
    if "public_slug" in out and _slug_taken(session, out["public_slug"], org.id):
        errors["public_slug"] = "Another workspace uses this address; choose another."
    return out, errors


def _clean_website(value: str | None) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    if not re.match(r"^https?://[^\s/@]+\.[^\s/@]+(/\S*)?$", url, re.IGNORECASE) or len(url) > 300:
        raise ValueError("Use a full address like https://example.com.")
    return url


def _clean_phone(value: str | None) -> str:
    phone = (value or "").strip()
    if phone and (
        not re.match(r"^\+?[0-9 ()./-]{5,30}$", phone) or len(re.sub(r"\D", "", phone)) < 5
    ):
        raise ValueError("Use digits, spaces and + ( ) - only, e.g. +44 20 7946 0958.")
    return phone


def save_brand(
    session: Session,
    org: Organization,
    fields: dict,
    *,
    logo: bytes | None,
    remove_logo: bool,
    actor_id: int | None,
    now: datetime,
) -> BrandProfile:
    """Save the brand form; raises BrandInvalid with each field's error (nothing saved then)."""
    values, errors = _cleaned(session, org, fields)
    png = None
    if logo is not None:
        try:
            png = clean_logo(logo)
        except ValueError as exc:
            errors["logo"] = str(exc)
    if errors:
        raise BrandInvalid(errors)
    brand = brand_of(session, org.id) or BrandProfile(org_id=org.id)
    org.public_slug = values.pop("public_slug")
    for name, value in values.items():
        setattr(brand, name, value)
    if png is not None:
        brand.logo, brand.logo_mime = png, "image/png"
    elif remove_logo:
        brand.logo, brand.logo_mime = None, None
    brand.updated_at = now
    session.add(brand)
    session.flush()
    log_activity(
        session,
        org,
        "brand.updated",
        "The brand settings were updated"
        + (" with a new logo." if png is not None else " (logo removed)." if remove_logo else "."),
        now=now,
        entity=("brand_profile", brand.id),
        actor_id=actor_id,
        details={k: v for k, v in values.items() if k != "postal_address"},
    )
    return brand
