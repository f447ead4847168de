"""Normalising what people type about a contact: email, phone, name, country, time zone,
and a whole lead's data (`normalise_lead_data`).

Each `clean_*` returns the stored form or raises FieldError with a message fit to show
next to the field. Email is validated by `email-validator` (syntax only: no DNS look-up,
so it works offline); phone numbers are parsed by `phonenumbers` and stored as E.164.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from webapp.core.errors import DomainError

COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
KNOWN_FIELDS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "first",
        "last",
        "email",
        "phone",
        "company",
        "source",
        "timezone",
        "country",
        "campaign_id",
    }
)
MAX_EXTRA_FIELDS = 30
MAX_EXTRA_VALUE = 2000


class FieldError(DomainError):
    """One field's value is unusable."""


def clean_email(value: str | None) -> str | None:
    """The address lower-cased, or None when blank. Raises FieldError when malformed."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError(f"invalid email: {exc}") from exc
    return info.normalized.lower()


@lru_cache(maxsize=1)
def _zone_regions() -> dict[str, str]:
    """Time zone -> ISO country, from the system's zone.tab (the tz database's own map)."""
    regions: dict[str, str] = {}
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) >= 3:
                regions[parts[2]] = parts[0]
        break
    # Zones zone.tab lists under another name.
    regions.setdefault("Europe/Belfast", "GB")
    regions.setdefault("US/Eastern", "US")
    return regions


def region_for(timezone: str | None = None, country: str | None = None) -> str | None:
    """The default phone region: from an explicit country code, else from a time zone."""
    if country:
        code = country.strip().upper()
        code = COUNTRY_ALIASES.get(code, code)
        if code in phonenumbers.SUPPORTED_REGIONS:
            return code
    if timezone:
        return _zone_regions().get(timezone)
    return None


def clean_country(value: str | None) -> str | None:
    """An ISO 3166 two-letter code ("GB", "US"), or None when blank."""
    value = (value or "").strip()
    if not value:
        return None
    code = COUNTRY_ALIASES.get(value.upper(), value.upper())
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise FieldError("unknown country: use a two-letter code such as GB or US")
    return code


def clean_phone(value: str | None, region: str | None) -> str | None:
    """The number in E.164 ("+447700900123"), or None when blank.

    A number without a country prefix is read as a number of `region`. Raises FieldError
    when it cannot be a real number.
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        if region is None and not value.startswith("+"):
            raise FieldError("invalid phone: add the country code, such as +44") from exc
        raise FieldError("invalid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise FieldError("invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_text(value: object, limit: int) -> str:
    """Trimmed, inner whitespace collapsed, cut to `limit` characters."""
    return re.sub(r"\s+", " ", str(value or "")).strip()[:limit]


# Web addresses in what a contact says about themselves: with a scheme, "www.", or a domain
# with a path. A name or company is put into messages the business sends, so a link typed
# there would reach a victim as the business's own (the public form as a phishing relay).
LINK_LIKE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S*|\b[\w-]+(?:\.[\w-]+)+/\S*")
# In a person's name, a bare domain too ("win.example"); lower-case endings only, so
# initials and "Dr.Smith" stay.
DOMAIN_LIKE = re.compile(r"\b[\w-]+(?:\.[a-z]{2,})+\b")


def clean_name(value: object, limit: int, *, person: bool) -> str:
    """`clean_text` without web addresses (and, for a person, without domain names)."""
    text = LINK_LIKE.sub(" ", str(value or ""))
    if person:
        text = DOMAIN_LIKE.sub(" ", text)
    return clean_text(text, limit)


def clean_timezone(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise FieldError("unknown time zone: use a name such as Europe/London") from exc
    return value


def exact_phone(term: str, region: str | None) -> str | None:
    """The E.164 form when the search term is a whole valid phone number ("07911 123456",
    "+447911123456"), else None."""
    if not term.startswith("+") or not term[1:].isdigit():
        term = phone_search_term(term, region) or ""
    if not term.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(term, None)
    except phonenumbers.NumberParseException:
        return None
    return term if phonenumbers.is_valid_number(number) else None


def phone_search_term(term: str, region: str | None) -> str | None:
    """A search term that looks like a phone number, in the stored (E.164) form if it
    parses, else its digits; None when it does not look like a phone number."""
    if not re.fullmatch(r"[+\d][\d\s().-]{4,}", term):
        return None
    digits = re.sub(r"\D", "", term)
    if len(digits) < 5:
        return None
    try:
        number = phonenumbers.parse(term, region)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    return ("+" if term.startswith("+") else "") + digits


# --- a whole lead ----------------------------------------------------------------------------


class LeadInvalid(DomainError):
    """The data cannot make a lead; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def slug(value: object) -> str:
    """ "Google Ads" -> "google_ads": the stored form of a source."""
    return re.sub(r"[^a-z0-9]+", "_", str(value or "").strip().lower()).strip("_")[:40]


@lru_cache(maxsize=1)
def phone_region_choices() -> list[tuple[str, str]]:
    """Every country phone numbers can be read for: ("GB", "GB (+44)"), by code."""
    return [
        (code, f"{code} (+{phonenumbers.country_code_for_region(code)})")
        for code in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]


def workspace_region(org) -> str | None:
    """The workspace's phone country: its own setting, else its time zone's country."""
    return region_for(org.timezone, getattr(org, "phone_region", None))


def normalise_lead_data(
    data: dict, *, org_timezone: str | None, phone_region: str | None = None
) -> dict:
    """The cleaned fields of `data` (stored forms), or LeadInvalid with each field's error."""
    errors: dict[str, str] = {}
    out: dict = {}

    def take(field: str, fn) -> object:
        try:
            return fn()
        except FieldError as exc:
            errors[field] = str(exc)
            return None

    country = take("country", lambda: clean_country(data.get("country")))
    region = region_for(org_timezone, country or phone_region)
    out["email"] = take("email", lambda: clean_email(_str(data.get("email"))))
    out["phone"] = take("phone", lambda: clean_phone(_str(data.get("phone")), region))
    name = clean_name(data.get("full_name") or data.get("name"), 200, person=True)
    if not name:
        first = data.get("first_name") or data.get("first")
        last = data.get("last_name") or data.get("last")
        name = clean_name(f"{first or ''} {last or ''}", 200, person=True)
    out["full_name"] = name
    out["company"] = clean_name(data.get("company"), 200, person=False)
    out["source"] = slug(data.get("source"))
    out["timezone"] = take("timezone", lambda: clean_timezone(_str(data.get("timezone"))))
    out["campaign_id"] = take("campaign_id", lambda: _campaign_id(data.get("campaign_id")))
    if not out["email"] and not out["phone"] and "email" not in errors and "phone" not in errors:
        errors["email"] = "no email or phone"
    out["extra"] = _extra(data)
    if errors:
        raise LeadInvalid(errors)
    return out


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _campaign_id(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise FieldError("campaign_id must be a number") from exc


def _extra(data: dict) -> dict:
    """Other fields (a form's message, UTM tags …) kept as text, within limits."""
    extra: dict[str, str] = {}
    for key, value in data.items():
        key = str(key).strip()[:60]
        if key in KNOWN_FIELDS or not key or key.startswith("_") or value in (None, ""):
            continue
        if isinstance(value, dict | list):
            continue
        extra[key] = str(value)[:MAX_EXTRA_VALUE]
        if len(extra) >= MAX_EXTRA_FIELDS:
            break
    return extra


def search_text_for(lead: object) -> str:
    """The lower-cased text the inbox's substring search runs over."""
    parts = (lead.full_name, lead.email, lead.company, lead.phone)  # type: ignore[attr-defined]
    return " ".join(p for p in parts if p).lower()
