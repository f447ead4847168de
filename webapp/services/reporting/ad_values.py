"""The cells of an ad platform's export read as our values: column names (as each platform
writes them), amounts, counts and dates (day-first, month-first or named months).

Each parser raises ValueError with the words that finish "<Field> “<cell>” …".
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

COUNTS = ("impressions", "clicks", "leads", "conversions")
AMOUNTS = ("spend", "revenue")
FIELDS = COUNTS + AMOUNTS
MAX_COUNT = 2_000_000_000
MAX_AMOUNT = Decimal("9999999999.99")

# Header names as ad platforms and spreadsheets write them, after normalising (lower
# case, units in brackets dropped, punctuation to spaces).
HEADER_ALIASES = {
    "date": (
        "date",
        "day",
        "reporting starts",
        "date start",
        "segments date",
        "report date",
        "week",
    ),
    "campaign": ("campaign", "campaign name", "campaign id", "campaign title"),
    "impressions": ("impressions", "impr", "impression"),
    "clicks": ("clicks", "link clicks", "clicks all", "website clicks"),
    "spend": ("spend", "amount spent", "cost", "spent", "amount"),
    "leads": ("leads", "results", "lead", "on facebook leads", "website leads", "sign ups"),
    "conversions": (
        "conversions",
        "purchases",
        "conv",
        "all conv",
        "sales",
        "orders",
        "website purchases",
    ),
    "revenue": (
        "revenue",
        "conversion value",
        "conv value",
        "purchases conversion value",
        "purchase conversion value",
        "total conv value",
        "sales value",
        "value",
    ),
}
HEADER_OF = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

DATE_FORMATS_DMY = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")
DATE_FORMATS_MDY = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
DATE_FORMATS_NAMED = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%a, %b %d, %Y",
)


def normalise_header(text: str) -> str:
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text.strip().lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def parse_amount(raw: object) -> Decimal:
    """A non-negative amount: "1,234.50", "$12", "12.50 USD", "12,5", "" (zero). Raises ValueError."""
    if isinstance(raw, bool):
        raise ValueError("is not a number")
    if isinstance(raw, int | float | Decimal):
        value = Decimal(str(raw))
    else:
        text = str(raw or "").strip().replace("\u2212", "-")
        text = re.sub(r"[\s\u00a0$£€¥]|\b[A-Z]{3}\b", "", text)  # spaces, currency signs and codes
        if not re.fullmatch(r"-?[\d,.]*", text):
            raise ValueError("is not a number")
        if text in ("", "-", "--"):
            return Decimal("0")
        if "," in text and "." in text:
            decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
            thousands = "," if decimal_mark == "." else "."
            text = text.replace(thousands, "").replace(decimal_mark, ".")
        elif "," in text:
            head, _, tail = text.rpartition(",")
            text = text.replace(",", "") if len(tail) == 3 and head else text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("is not a number") from exc
    if not value.is_finite():
        raise ValueError("is not a number")
    if value < 0:
        raise ValueError("cannot be negative")
    if value > MAX_AMOUNT:
        raise ValueError("is too large")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_count(raw: object) -> int:
    """A non-negative whole number ("1,234", "12", "" for zero). Raises ValueError."""
    value = parse_amount(raw)
    if value != value.to_integral_value():
        raise ValueError("must be a whole number")
    if value > MAX_COUNT:
        raise ValueError("is too large")
    return int(value)


def date_order(values: list[str]) -> tuple[str, ...]:
    """Which of day/month or month/day a file's slashed dates use, from the values themselves.

    A first part above 12 means day first; a second part above 12 means month first;
    with no telling value, day first (the format of most of the world).
    """
    for text in values:
        m = re.match(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\s*$", text or "")
        if m:
            first, second = int(m.group(1)), int(m.group(2))
            if first > 12 >= second:
                return DATE_FORMATS_DMY
            if second > 12 >= first:
                return DATE_FORMATS_MDY
    return DATE_FORMATS_DMY


def parse_day(raw: object, formats: tuple[str, ...] = DATE_FORMATS_DMY) -> date:
    """A date from ISO (2026-11-20, 2026-11-20T00:00:00), slashed or named forms. Raises ValueError."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValueError("is missing")
    iso = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$", text) or re.match(
        r"(\d{4})/(\d{1,2})/(\d{1,2})$", text
    )
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError as exc:
            raise ValueError(f"“{text}” is not a real date") from exc
    for fmt in formats + DATE_FORMATS_NAMED:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date (use 2026-11-20)")
