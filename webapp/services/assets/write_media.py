"""The offline writer's social posts, ads, video scripts and banner lines. Each keeps
within its platform's limits by choosing shorter lines or fewer parts, never by cutting."""

from __future__ import annotations

import re

from webapp.services.assets import banks
from webapp.services.assets.facts import Picker, facts_of, hashtags_for
from webapp.services.assets.limits import GOOGLE, META, POST_LIMITS, length_on
from webapp.services.marketing import Brief

SCENES = {  # video length → (role, seconds); the seconds add up to the length
    15: [("hook", 3), ("show", 7), ("cta", 5)],
    30: [("hook", 4), ("desire", 6), ("show", 8), ("offer", 7), ("cta", 5)],
    60: [("hook", 5), ("desire", 10), ("show", 15), ("proof", 12), ("offer", 10), ("cta", 8)],
}
CHARS_PER_SECOND = 15  # a voice-over line of n seconds has at most n × 15 characters
HASHTAGS = {"x": 2, "linkedin": 3, "facebook": 2, "instagram": 10}


def _setup(brief: Brief) -> tuple:
    kind = brief.campaign_type or "lead_generation"
    bank = banks.media(brief.language)
    facts = facts_of(brief, {"cta": banks.mail(brief.language).CTA})
    return kind, bank, facts


def social_post(brief: Brief, options: dict, picker: Picker) -> dict:
    platform = options.get("platform") or "linkedin"
    kind, bank, facts = _setup(brief)
    hook = picker.one(bank.HOOK[kind], facts, "hook") or facts["name"]
    body = picker.some(bank.BODY, facts, 2, "body")
    offer = picker.one(bank.OFFER, facts, "offer")
    closes = bank.INSTAGRAM_CLOSE if platform == "instagram" else bank.CLOSE
    close = picker.one(closes, facts, "close")
    tags = hashtags_for(facts, bank.TAGS[kind], picker, HASHTAGS.get(platform, 3))
    if platform == "instagram":
        hook = f"{bank.EMOJI[kind]} {hook}"
    # From the richest post to the leanest: the first that fits the platform is kept.
    shapes = [
        [hook, " ".join(body), offer, close],
        [hook, body[0] if body else "", offer, close],
        [hook, offer, close],
        [hook, close],
        [facts["name"], facts["cta"]],
    ]
    if platform == "x":
        shapes = shapes[1:]
    limit = min(POST_LIMITS[platform], int(options.get("max_length") or POST_LIMITS[platform]))
    signed = [
        parts
        if any(facts["name"] in p for p in parts)
        else [*parts, f"– {facts['name']}"]  # a post says who it is from
        for parts in shapes
    ]
    for fewest in (1, 0):  # a post without hashtags only when no shape fits one
        for parts in signed:
            for k in range(len(tags), fewest - 1, -1):
                text = "\n\n".join(p for p in [*parts, " ".join(tags[:k])] if p)
                if length_on(platform, text) <= limit:
                    return {
                        "platform": platform,
                        "text": text,
                        "hashtags": tags[:k],
                        "image_suggestion": picker.one(bank.IMAGE_IDEA, facts, "image"),
                    }
    raise ValueError(f"no post fits {limit} characters")  # a name longer than the limit


def ad_creative(brief: Brief, options: dict, picker: Picker) -> dict:
    network = options.get("network") or "google"
    kind, bank, facts = _setup(brief)
    if network == "meta":
        facts = {**facts, "hook": picker.one(bank.HOOK[kind], facts, "hook")}
        headline = picker.one(bank.META_HEADLINE, facts, "headline", META["headline"])
        return {
            "network": "meta",
            "primary_text": picker.one(bank.META_PRIMARY, facts, "primary", META["primary_text"]),
            "headline": headline,
            "description": picker.one(
                bank.META_DESCRIPTION, facts, "description", META["description"], avoid=headline
            ),
            "cta": facts["cta"],
        }
    headlines = _unique(picker.some(bank.HEADLINE, facts, 30, "headlines", GOOGLE["headline"]))
    descriptions = _unique(
        picker.some(bank.DESCRIPTION, facts, 8, "descriptions", GOOGLE["description"])
    )
    return {
        "network": "google",
        "headlines": headlines[: GOOGLE["headlines"]],
        "descriptions": descriptions[: GOOGLE["descriptions"]],
        "path1": _path(facts["product"]) or _path(facts["name"]),
        "path2": _path(facts["location"]),
        "final_url": facts["url"],
    }


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return list(seen.values())


def _path(words: str) -> str:
    """A display-URL path: the first word that fits 15 characters, lower-case."""
    for word in re.findall(r"[^\W_]+", words):
        if 2 < len(word) <= GOOGLE["path"]:
            return word.lower()
    return ""


def video_script(brief: Brief, options: dict, picker: Picker) -> dict:
    length = int(options.get("length") or 30)
    _kind, bank, facts = _setup(brief)
    scenes, start = [], 0
    for role, seconds in SCENES[length]:
        limit = seconds * CHARS_PER_SECOND
        scenes.append(
            {
                "start": start,
                "end": start + seconds,
                "seconds": seconds,
                "visual": picker.one(bank.VISUAL[role], facts, f"visual-{role}"),
                "on_screen": picker.one(bank.ON_SCREEN[role], facts, f"screen-{role}", 32)
                or facts["cta"],
                "voice_over": picker.one(bank.VOICE_OVER[role], facts, f"vo-{role}", limit),
            }
        )
        start += seconds
    return {"length": length, "scenes": scenes, "language": brief.language}


def banner_lines(brief: Brief, options: dict, picker: Picker) -> dict:
    _kind, bank, facts = _setup(brief)
    headline = picker.one(bank.BANNER_HEADLINE, facts, "banner-h", 60) or facts["name"]
    # The sub-line says something the headline does not: no second mention of the product.
    rest = (
        {**facts, "product": ""}
        if facts["product"] and facts["product"].lower() in headline.lower()
        else facts
    )
    return {
        "size": options.get("size") or "1200x628",
        "headline": headline,
        "subline": picker.one(bank.BANNER_SUBLINE, rest, "banner-s", 120),
        "cta": facts["cta"],
        "business": facts["name"],
    }
