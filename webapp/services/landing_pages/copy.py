"""The offline copy writer of a landing page: every section drafted from the brief.

Each line comes from a bank of phrasings per language and campaign type (copy_en.py,
copy_de.py) whose placeholders are the brief's own facts: the business, its audience and
place, the offer, what it says about itself. A phrasing is used only when every fact it
names is known, so a blank never shows; which phrasing is picked depends on the business,
the campaign and the variation, so two campaigns (or two variations) read differently.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Sequence

from webapp.services.landing_pages import copy_de, copy_en
from webapp.services.marketing import Brief

BANKS = {"en": copy_en, "de": copy_de}
DEFAULT_TYPE = "lead_generation"
MAX_BENEFITS = 4
MAX_FAQ = 4


def ui_text(language: str) -> dict[str, str]:
    """The public page's fixed labels (form fields, errors, footer) in the page's language."""
    return _bank(language).UI


def _bank(language: str):
    return BANKS.get(language, copy_en)


def _first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    for stop in (". ", "! ", "? "):
        if stop in text:
            text = text.split(stop, 1)[0] + stop.strip()
            break
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text if not text or text[-1] in ".!?…" else text + "."


def _context(brief: Brief) -> dict[str, str]:
    offer = " ".join(brief.offer.split()).rstrip(".")
    return {
        "name": brief.business_name.strip(),
        "audience": " ".join(brief.audience.split()).rstrip("."),
        "location": " ".join(brief.location.split()).rstrip("."),
        "offer": offer,
        "Offer": offer[:1].upper() + offer[1:],
        "description": _first_sentence(brief.description),
        "value": _first_sentence(brief.value_proposition),
        "phone": brief.phone.strip(),
        "website": brief.website.strip(),
    }


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def _usable(templates: Sequence, ctx: dict) -> list:
    """The templates (or tuples of templates) whose every placeholder has a value."""

    def ok(item) -> bool:
        parts = item if isinstance(item, tuple) else (item,)
        return all(ctx.get(name) for part in parts for name in _fields(part))

    return [item for item in templates if ok(item)]


def _fill(item, ctx: dict):
    if isinstance(item, tuple):
        return tuple(part.format(**ctx) for part in item)
    return item.format(**ctx)


class _Picker:
    """Deterministic choices: the same brief and variation give the same page; another
    business, campaign or variation moves every choice."""

    def __init__(self, brief: Brief, variation: int, language: str) -> None:
        key = f"{brief.business_name}|{brief.campaign_id}|{brief.campaign_name}|{language}"
        self.base = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        self.variation = variation
        self.random = random.Random(self.base + 7919 * variation)

    def one(self, options: Sequence, slot: int):
        # Offset by the variation so the next variation never repeats a line it could vary.
        return options[(self.base // (slot + 1) + self.variation) % len(options)]

    def some(self, options: Sequence, count: int) -> list:
        pool = list(options)
        self.random.shuffle(pool)
        return pool[:count]


def _pick(picker: _Picker, by_type: dict, kind: str, ctx: dict, slot: int):
    options = _usable(by_type.get(kind) or by_type[DEFAULT_TYPE], ctx)
    return _fill(picker.one(options, slot), ctx)


def _benefits(bank, picker: _Picker, kind: str, ctx: dict, key_messages: Sequence[str]) -> list:
    """3 or 4 benefits: the owner's own key messages first, then the campaign type's, then
    general ones, never two with one title."""
    target = 3 + (picker.base + picker.variation) % 2
    items: list[dict] = []
    titles = picker.some(bank.MESSAGE_TITLES, len(bank.MESSAGE_TITLES))
    for message, title in zip(key_messages[:2], titles, strict=False):
        text = _first_sentence(message, 220)
        if text:
            items.append({"title": title, "text": text})
    typed = _usable(bank.BENEFITS.get(kind) or bank.BENEFITS[DEFAULT_TYPE], ctx)
    general = _usable(bank.BENEFITS["any"], ctx)
    # The campaign's offer is its hook: a benefit that states it comes first when there is one.
    typed = sorted(picker.some(typed, len(typed)), key=lambda item: "{Offer}" not in item[0])
    chosen = typed[:2] + picker.some(general, len(general))
    for title, text in (_fill(item, ctx) for item in chosen):
        if len(items) >= target:
            break
        if all(existing["title"] != title for existing in items):
            items.append({"title": title, "text": text})
    return items


def _faq(bank, picker: _Picker, kind: str, ctx: dict) -> list:
    typed = _usable(bank.FAQ.get(kind) or bank.FAQ[DEFAULT_TYPE], ctx)
    general = _usable(bank.FAQ["any"], ctx)
    chosen = picker.some(typed, 2) + picker.some(general, MAX_FAQ - min(2, len(typed)))
    return [{"q": q, "a": a} for q, a in (_fill(item, ctx) for item in chosen)][:MAX_FAQ]


def draft_sections(brief: Brief, variation: int = 0, language: str | None = None) -> dict:
    """The sections of a landing page for this brief, in `language` (the brand's by default)."""
    language = language or brief.language
    bank = _bank(language)
    kind = brief.campaign_type if brief.campaign_type in bank.HEADLINES else DEFAULT_TYPE
    ctx = _context(brief)
    picker = _Picker(brief, variation, language)
    cta = _pick(picker, bank.CTAS, kind, ctx, 1)
    headline = _pick(picker, bank.HEADLINES, kind, ctx, 2)
    # A headline that states the offer leaves the sub-line to say something else.
    stated = ctx["offer"] and ctx["offer"].lower() in headline.lower()
    said = {"offer": "", "Offer": ""} if stated else {}
    return {
        "hero": {
            "headline": headline,
            "subline": _pick(picker, bank.SUBLINES, kind, {**ctx, **said}, 3),
            "cta": cta,
        },
        "benefits": {
            "title": _fill(picker.one(_usable(bank.BENEFITS_TITLES, ctx), 4), ctx),
            "items": _benefits(bank, picker, kind, ctx, brief.key_messages),
        },
        "testimonials": {"title": bank.TESTIMONIALS_TITLE, "items": []},
        "faq": {"title": bank.FAQ_TITLE, "items": _faq(bank, picker, kind, ctx)},
        "form": {
            "title": _pick(picker, bank.FORM_TITLES, kind, ctx, 5),
            "intro": _fill(picker.one(_usable(bank.FORM_INTROS, ctx), 6), ctx),
            "button": cta,
            "thanks": _fill(picker.one(_usable(bank.THANKS, ctx), 7), ctx),
        },
    }
