"""The built-in planner, a deterministic strategy that needs no network: it weighs each
channel by the market (B2B or B2C), how local the business is, its main goal, the kind of
business the description names, and the size of the budget, then keeps the strongest few."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from webapp.models import CHANNELS
from webapp.services.autopilot.plan_inputs import GOAL_WORDS, PlanInputs
from webapp.services.autopilot.strategy import normalise_percents

PAID = ("google_ads", "meta_ads")
OWNED = ("email", "sms", "whatsapp", "seo")
TINY_BUDGET = Decimal("300")

MARKET_WEIGHTS = {
    "b2b": {"email": 3, "google_ads": 3, "content": 3, "referral": 3, "seo": 2, "events": 2,
            "meta_ads": 1, "sms": 0.5, "whatsapp": 0.5},
    "b2c": {"meta_ads": 3, "google_ads": 3, "email": 2, "seo": 2, "sms": 1.5, "whatsapp": 1.5,
            "referral": 1.5, "content": 1, "events": 1},
}  # fmt: skip
LOCAL_BOOST = {"meta_ads": 1, "google_ads": 1, "sms": 1, "whatsapp": 1, "referral": 0.5,
               "seo": 0.5, "content": -0.5}  # fmt: skip
GOAL_BOOST = {
    "leads": {"google_ads": 1.5, "email": 1, "content": 0.5, "seo": 0.5},
    "sales": {"meta_ads": 1.5, "email": 1.5, "google_ads": 1, "sms": 0.5},
    "awareness": {"meta_ads": 2, "content": 1.5, "seo": 1, "events": 1, "google_ads": -0.5},
    "bookings": {"google_ads": 1.5, "sms": 1.5, "whatsapp": 1, "email": 0.5, "meta_ads": 0.5},
}


@dataclass(frozen=True)
class Category:
    name: str  # "food and drink businesses", said in rationales
    words: tuple[str, ...]  # word starts that name it in a description
    boost: dict
    tone: str
    local: bool  # customers mostly come from nearby


CATEGORIES = (  # on a tie the earlier wins: software before the trades it serves
    Category("software businesses", ("software", "saas", "app ", "apps", "platform", "api",
             "cloud", "startup", "devops", "crm", "analytics"),
             {"content": 2, "email": 1.5, "seo": 1.5, "google_ads": 1, "events": 0.5},
             "Clear, confident and practical", False),
    Category("food and drink businesses", ("restaurant", "cafe", "café", "bakery", "bakes", "bistro",
             "pizzeria", "pub", "takeaway", "catering", "coffee", "brunch", "deli"),
             {"meta_ads": 1.5, "whatsapp": 1, "sms": 1, "referral": 0.5, "events": 0.5},
             "Warm and inviting", True),
    Category("salons and beauty businesses", ("salon", "barber", "hairdress", "hair ", "nail", "spa", "beauty",
             "massage", "lash", "brow", "tattoo"),
             {"meta_ads": 1.5, "sms": 1.5, "whatsapp": 1, "referral": 1},
             "Friendly and stylish", True),
    Category("clinics and practices", ("clinic", "dentist", "dental", "physio", "therap", "doctor", "vet",
             "optician", "chiropract", "pharmac", "osteopath", "medical"),
             {"google_ads": 2, "seo": 1.5, "sms": 1, "referral": 0.5},
             "Reassuring and professional", True),
    Category("shops", ("shop", "store", "boutique", "ecommerce", "e-commerce", "retail",
             "florist", "gift", "jewel", "clothing", "fashion"),
             {"meta_ads": 1.5, "email": 1.5, "google_ads": 1, "sms": 0.5},
             "Friendly and upbeat", False),
    Category("professional services", ("consult", "agency", "accountan", "accounting",
             "bookkeep", "law", "lawyer", "solicitor", "legal", "coach", "architect", "recruit"),
             {"referral": 2, "content": 1.5, "email": 1, "events": 1, "seo": 0.5},
             "Expert and trustworthy", False),
    Category("trades", ("plumb", "electrician", "builder", "roofing", "roofer",
             "cleaning", "cleaner", "landscap", "garden", "handyman", "locksmith", "removal",
             "painter", "decorator", "joiner", "carpent"),
             {"google_ads": 2, "seo": 1.5, "referral": 1.5, "sms": 0.5},
             "Straightforward and dependable", True),
    Category("fitness studios", ("gym", "fitness", "yoga", "pilates", "personal trainer",
             "crossfit", "martial", "dance studio", "bootcamp"),
             {"meta_ads": 1.5, "whatsapp": 1, "referral": 1, "events": 1, "sms": 0.5},
             "Energetic and encouraging", True),
)  # fmt: skip

WIDE_REACH = ("nationwide", "national", "worldwide", "global", "international", "online",
              "anywhere", "across the", "country", "europe", "remote")  # fmt: skip
LOCAL_WORDS = ("local", "near", "nearby", "town", "city", "village", "neighbourhood",
               "neighborhood", "borough", "county", "within", "miles", " km", "area")  # fmt: skip

WHY = {
    "email": "Email keeps new leads and past customers coming back, at almost no cost per message.",
    "sms": "Text messages are read within minutes: good for reminders and short offers.",
    "whatsapp": "WhatsApp lets customers ask and book in the app they already use every day.",
    "google_ads": "Search ads reach people at the moment they look for what you offer.",
    "meta_ads": "Facebook and Instagram ads reach the right people by place and interest.",
    "seo": "Being found in search (and on your Google Business Profile) brings free visits for months.",
    "content": "Useful articles and guides earn trust and feed your search, email and social posts.",
    "referral": "Happy customers bring similar customers; a small thank-you makes it a habit.",
    "events": "Events and workshops let people meet you in person and remember you.",
}


def _words(text: str) -> str:
    return " " + re.sub(r"\s+", " ", text.lower()) + " "


def find_category(description: str) -> Category | None:
    """The kind of business the description names most often (first listed on a tie)."""
    text = _words(description)
    best, best_hits = None, 0
    for category in CATEGORIES:
        hits = sum(text.count(" " + word) for word in category.words)
        if hits > best_hits:
            best, best_hits = category, hits
    return best


def is_local(inputs: PlanInputs, category: Category | None) -> bool:
    """Whether customers come from nearby: B2C with a named place, or a local kind of business."""
    where = _words(inputs.where)
    if any(word in where for word in WIDE_REACH):
        return False
    if any(word in where for word in LOCAL_WORDS):
        return True
    if category is not None and category.local:
        return True
    return inputs.market == "b2c" and bool(inputs.where.strip())


def builtin_strategy(inputs: PlanInputs) -> dict:
    """A sensible channel mix and messaging for `inputs`, deterministically, without network."""
    category = find_category(inputs.business)
    local = is_local(inputs, category)
    tiny = inputs.monthly_budget < TINY_BUDGET
    weights: dict[str, float] = dict(MARKET_WEIGHTS.get(inputs.market, MARKET_WEIGHTS["b2c"]))
    reasons: dict[str, list[str]] = {ch: [] for ch in CHANNELS}

    def boost(table: dict, reason: str) -> None:
        for channel, amount in table.items():
            weights[channel] = weights.get(channel, 0) + amount
            if amount >= 1:
                reasons[channel].append(reason)

    if category is not None:
        boost(category.boost, f"It works well for {category.name}.")
    boost(
        GOAL_BOOST.get(inputs.primary_goal, {}),
        f"It serves your main goal: {GOAL_WORDS.get(inputs.primary_goal, 'growth')}.",
    )
    if local:
        place = inputs.where.strip() or "nearby"
        boost(LOCAL_BOOST, f"Your customers are in {place}, and it can target them there.")
    if inputs.market == "b2b":
        for channel in ("email", "content", "referral"):
            reasons[channel].append("Business buyers compare options for weeks before they decide.")
    cheap_leads = bool(inputs.monthly_leads) and inputs.monthly_budget / inputs.monthly_leads < 10
    if tiny or cheap_leads:
        for channel in PAID:
            weights[channel] *= 0.25
        words = (
            f"under ${TINY_BUDGET:.0f} a month"
            if tiny
            else f"{inputs.monthly_leads} leads a month on this budget"
        )
        boost({ch: 1.5 for ch in OWNED}, f"It costs little to run, which matters for {words}.")
        weights["events"] *= 0.5

    count = (
        3
        if tiny
        else 4
        if inputs.monthly_budget < 1000
        else 5
        if inputs.monthly_budget < 5000
        else 6
    )
    chosen = sorted(CHANNELS, key=lambda ch: (-weights[ch], CHANNELS.index(ch)))[:count]
    percents = normalise_percents([Fraction(weights[ch]).limit_denominator(1000) for ch in chosen])
    channels = [
        {"channel": ch, "percent": pct, "rationale": " ".join([WHY[ch], *reasons[ch][:2]])}
        for ch, pct in zip(chosen, percents, strict=True)
    ]
    return {
        "channels": channels,
        "messaging": _messaging(inputs, category, local),
        "planner": "builtin",
    }


def _first_sentence(text: str, limit: int = 160) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0].strip().rstrip(".!?")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence or "what we do best"


def _lower_first(text: str) -> str:
    """'Busy families' → 'busy families', inside a sentence; 'UK firms' stays as it is."""
    first = text.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or first.startswith("I’"):
        return text
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _messaging(inputs: PlanInputs, category: Category | None, local: bool) -> dict:
    who = _lower_first(inputs.who.strip().rstrip(".")) or "our customers"
    where = inputs.where.strip().rstrip(".")
    audience = f"{who} in {where}" if where else who
    tone = (
        category.tone
        if category
        else ("Professional and clear" if inputs.market == "b2b" else "Friendly and direct")
    )
    calls = {
        "leads": "Tell us what you need and get a reply within one working day.",
        "sales": "See what's new and order in a few clicks.",
        "awareness": f"Come and see what we do{f' in {where}' if where else ''}.",
        "bookings": "Book your slot online in under a minute.",
    }
    interests = [i for i in inputs.interests if i][:2]
    made_for = f"Made for {who}"
    if interests:
        made_for += f" who care about {' and '.join(interests)}"
    if local and where:
        trust = f"Local to {where}, and proud of it."
    elif inputs.market == "b2b":
        trust = "Trusted by businesses like yours: ask us for references."
    else:
        trust = "Real people and quick answers: message us any time."
    return {
        "value_proposition": f"For {audience}: {_lower_first(_first_sentence(inputs.business))}."[
            :400
        ],
        "tone": tone,
        "key_messages": [calls.get(inputs.primary_goal, calls["leads"]), made_for + ".", trust],
    }
