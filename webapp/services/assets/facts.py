"""What the writers say about a business, drawn from its Brief: short noun phrases and
sentences that slot into the phrase banks. A fact the owner never gave is "" and every
phrase that needs it is skipped (`choose`), so no blank or placeholder ever shows."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Sequence

from webapp.services.marketing import Brief

_FORMATTER = string.Formatter()
# "We bake …", "We are a …", "Wir backen …", "Wir sind ein …" → what follows.
_LEADS = re.compile(
    r"^(?:we\s+(?:are|'re)\s+(?:an?|the)\s+|we\s+\w+\s+|our\s+\w+\s+(?:is|are)\s+(?:an?\s+)?"
    r"|wir\s+sind\s+(?:eine?[nmrs]?\s+|die\s+|der\s+|das\s+)?|wir\s+\w+\s+"
    r"|(?:an?|the|eine?)\s+)",
    re.IGNORECASE,
)


def first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!? ")


_WHAT_WE_ARE = re.compile(r"^(?:we\s+(?:are|'re)|wir\s+sind|i\s+am|ich\s+bin)\b", re.IGNORECASE)


def product_of(description: str, limit: int = 48) -> str:
    """A short noun phrase for what the business sells, from the owner's description
    ("We bake sourdough bread and cakes in Leeds" → "sourdough bread and cakes"). A
    description that says what the business *is* ("We are a bike shop") gives "": the
    phrases that need a product are then skipped rather than made ungrammatical."""
    clause = re.split(r"[,;:(–—]| - ", first_sentence(description))[0].strip()
    if _WHAT_WE_ARE.match(clause):
        return ""
    clause = _LEADS.sub("", clause, count=1).strip()
    clause = re.split(r"\s+(?:in|im|in der|for|für|since|seit)\s+", clause, maxsplit=1)[0]
    words, out = clause.split(), []
    for word in words:
        if len(" ".join([*out, word])) > limit:
            break
        out.append(word)
    return " ".join(out).strip(" .")


def we_sentence(brief: Brief) -> str:
    """The owner's description as a sentence ("" when there is none)."""
    sentence = first_sentence(brief.description)
    return f"{sentence}." if sentence else ""


def facts_of(brief: Brief, labels: dict) -> dict[str, str]:
    """The named facts the phrase banks use; `labels` are the language's words (CTA …)."""
    theme = brief.campaign_name if 0 < len(brief.campaign_name) <= 40 else ""
    value = _sentence(first_sentence(brief.value_proposition)[:140])
    return {
        "name": brief.business_name.strip(),
        "product": product_of(brief.description),
        "about": we_sentence(brief),
        "audience": first_sentence(brief.audience)[:80].strip(),
        "location": brief.location.strip()[:40],
        "offer": brief.offer.strip()[:80],
        "value": value,
        "message": _sentence(first_sentence(brief.key_messages[0])) if brief.key_messages else "",
        "theme": theme,
        "url": brief.website.strip(),
        "phone": brief.phone.strip(),
        "cta": labels["cta"][brief.campaign_type or "lead_generation"],
        "about_lower": _lower_first(we_sentence(brief)) if _starts_we(brief.description) else "",
        "url_spoken": re.sub(r"^https?://(www\.)?|/$", "", brief.website.strip()),
    }


def _sentence(text: str) -> str:
    """A fragment as a sentence: capitalised, ending in a full stop."""
    text = text.strip()
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def capitalised(line: str) -> str:
    """A line starting with a capital (a link or a hashtag stays as it is)."""
    if not line or line.startswith(("http", "www.", "#")) or not line[0].isalpha():
        return line
    return line[0].upper() + line[1:]


def _starts_we(text: str) -> bool:
    return bool(re.match(r"^\s*we\b", text or "", re.IGNORECASE))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def fields_in(template: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in _FORMATTER.parse(template) if name}


def usable(templates: Sequence[str], facts: dict[str, str]) -> list[str]:
    """The templates whose every field has a value (and that would not say the place
    twice, as "families in Leeds in Leeds" when the audience already names it)."""
    place = (facts.get("location") or "").lower()
    twice = bool(place) and place in (facts.get("audience") or "").lower()
    return [
        t
        for t in templates
        if all(facts.get(f) for f in fields_in(t))
        and not (twice and {"audience", "location"} <= fields_in(t))
    ]


class Picker:
    """Seeded choices: the same campaign, type and variation always read the same, another
    variation (or campaign, or business) reads differently. Each bank is shuffled once per
    seed and the variation indexes into it, so three variations never pick the same line
    while the bank has three usable ones."""

    def __init__(self, seed: str, variation: int) -> None:
        self.seed, self.variation = seed, variation
        self.rng = random.Random(f"{seed}|{variation}")

    def one(
        self,
        templates: Sequence[str],
        facts: dict[str, str],
        salt: str = "",
        limit: int = 0,
        avoid: str = "",
    ) -> str:
        """One line of the bank, formatted; with `limit`, only lines that come out at most
        that long (a shorter line is chosen, never a cut one); never `avoid`."""
        lines = [capitalised(t.format(**facts)) for t in usable(templates, facts)]
        lines = [s for s in lines if (not limit or len(s) <= limit) and s != avoid]
        if not lines:
            return ""
        random.Random(f"{self.seed}|{salt}|{len(lines)}").shuffle(lines)
        return lines[self.variation % len(lines)]

    def some(
        self,
        templates: Sequence[str],
        facts: dict[str, str],
        k: int,
        salt: str = "",
        limit: int = 0,
    ) -> list[str]:
        lines = [capitalised(t.format(**facts)) for t in usable(templates, facts)]
        lines = [s for s in lines if not limit or len(s) <= limit]
        random.Random(f"{self.seed}|{salt}").shuffle(lines)
        start = (self.variation * k) % max(len(lines), 1)
        return (lines[start:] + lines[:start])[:k]


def hashtag(words: str) -> str:
    """ "Leeds sourdough bakery" → "#LeedsSourdoughBakery" (letters and digits only)."""
    parts = re.findall(r"[^\W_]+", words)
    tag = "".join(p[:1].upper() + p[1:] for p in parts)
    return f"#{tag}" if tag and len(tag) <= 30 else ""


def hashtags_for(facts: dict[str, str], extra: Sequence[str], picker: Picker, k: int) -> list[str]:
    candidates = [
        hashtag(facts["name"]),
        hashtag(facts["location"]),
        hashtag(f"{facts['location']} {facts['product'].split(' ')[0]}")
        if facts["location"] and facts["product"]
        else "",
        *(hashtag(e) for e in extra),
    ]
    seen: list[str] = []
    for tag in candidates:
        if tag and tag.lower() not in {s.lower() for s in seen}:
            seen.append(tag)
    head, tail = seen[:2], seen[2:]
    picker.rng.shuffle(tail)
    return (head + tail)[:k]
