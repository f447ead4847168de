"""How many SMS segments a text costs, as carriers count them (3GPP TS 23.038 / 23.040).

A text that uses only the GSM 03.38 alphabet goes as GSM-7: 160 septets in one message,
153 per segment once it is split (the rest of each segment carries the concatenation
header); characters of the extension table (`€ [ ] { } \\ ^ ~ |` and the form feed) take two
septets, and a pair is never split across segments. One character outside the alphabet
("ë", a curly apostrophe, an emoji) turns the whole text into UCS-2: 70 UTF-16 units, or 67
per segment, where an emoji is two units and a surrogate pair is never split either.

Curly quotes, dashes, ellipses and non-breaking spaces are the usual accidental cause of
UCS-2 (they come from word processors and phone keyboards); `plain` replaces them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from webapp.services.messaging.templating import render
from webapp.services.messaging.text_footer import FOOTERS, footer_language, with_footer

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PER_SEGMENT = {"GSM-7": 153, "UCS-2": 67}

# Look-alikes that force UCS-2, and their GSM-7 spelling.
PLAIN = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\ufeff": "",
}  # fmt: skip


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "GSM-7" | "UCS-2"
    characters: int  # as a person counts them (code points)
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    forcing: tuple[str, ...]  # the characters that made it UCS-2, each once, in order

    @property
    def forcing_shown(self) -> tuple[str, ...]:
        """The forcing characters as an owner can see them: invisible ones by name."""
        return tuple(
            c if c.strip() and c.isprintable() else unicodedata.name(c, f"U+{ord(c):04X}").lower()
            for c in self.forcing
        )

    def cost(self, price_per_segment: Decimal) -> Decimal:
        return (price_per_segment * self.segments).quantize(Decimal("0.0001"))


def encoding_of(text: str) -> str:
    return "GSM-7" if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else "UCS-2"


def measure_sms(text: str) -> SmsSize:
    """The encoding and segment count of `text` (0 segments for an empty text)."""
    encoding = encoding_of(text)
    widths = [_width(c, encoding) for c in text]
    units = sum(widths)
    forcing = () if encoding == "GSM-7" else _forcing(text)
    return SmsSize(encoding, len(text), units, _segments(widths, encoding), forcing)


def plain(text: str) -> str:
    """`text` with the look-alike punctuation and spaces of PLAIN replaced."""
    return "".join(PLAIN.get(c, c) for c in text)


def _width(char: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def _segments(widths: list[int], encoding: str) -> int:
    total = sum(widths)
    if total == 0:
        return 0
    if total <= SINGLE[encoding]:
        return 1
    # Fill each segment without splitting a character's units (an escape pair, a surrogate
    # pair) across two: a character that does not fit starts the next segment.
    limit, segments, used = PER_SEGMENT[encoding], 1, 0
    for width in widths:
        if used + width > limit:
            segments, used = segments + 1, 0
        used += width
    return segments


def _forcing(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for char in text:
        if char not in GSM_BASIC and char not in GSM_EXTENSION:
            seen.setdefault(char, None)
    return tuple(seen)


# --- the editor's estimate -----------------------------------------------------------------

# A typical contact, so the estimate counts personalised text as it will usually go out.
SAMPLE = {
    "firstName": "Alex",
    "lastName": "Morgan",
    "customerName": "Alex Morgan",
    "contactCompany": "",
    "email": "alex@example.com",
    "phone": "+14155550123",
}


@dataclass(frozen=True)
class Estimate:
    size: SmsSize
    cost: Decimal  # per recipient, at the deployment's price per segment
    plain_template: str | None  # the template with plain punctuation, when that is cheaper
    plain_size: SmsSize | None
    first_size: SmsSize | None = None  # a contact's first text: with the opt-out footer
    footer: str = ""


def estimate_sms(template: str, business: str, price_per_segment: Decimal) -> Estimate:
    """The segments and cost one recipient's copy of `template` takes, the same for a
    contact's first text (which ends with the opt-out footer), and the cheaper spelling when
    look-alike punctuation forces UCS-2."""
    variables = {**SAMPLE, "companyName": business}
    rendered = render(template, variables)
    size = measure_sms(rendered)
    cheaper, cheaper_size = None, None
    if size.encoding == "UCS-2":
        candidate = plain(template)
        candidate_size = measure_sms(render(candidate, variables))
        if candidate_size.segments < size.segments or candidate_size.encoding == "GSM-7":
            cheaper, cheaper_size = candidate, candidate_size
    return Estimate(
        size,
        size.cost(price_per_segment),
        cheaper,
        cheaper_size,
        first_size=measure_sms(with_footer(rendered, SAMPLE["phone"])),
        footer=FOOTERS[footer_language(SAMPLE["phone"])],
    )
